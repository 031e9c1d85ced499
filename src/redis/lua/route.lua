-- eventwire script: route, version 3
-- Route entries of the bus's shared queue to the subscription queues, then
-- acknowledge them and drop them from the shared queue's `:expiry` set, one
-- entry at a time. Event types match by their short name (the part after
-- the last dot), on both sides. A destination that cannot take its copy (a
-- key of the wrong type) costs that destination only: its copy is parked in
-- the destination's DLQ with the reason (or, when that is unusable too, in
-- the shared queue's DLQ), and every other destination gets its copy once.
-- A destination stream that is gone comes back with its consumer group at
-- the start. Every entry's arguments are checked before anything is
-- written. It writes the subscription queues it finds in the
-- subscriptions hash, keys it cannot declare in KEYS: one Redis server,
-- not Redis Cluster (where copy.lua writes each destination apart).
-- Uses: lib/streams
-- KEYS (4): shared stream, subscriptions hash, shared stream expiry set,
--   shared DLQ
-- ARGV: group, consumer, prefix, maxlen, trim mode, now (float seconds, as
--   Python writes a float),
--   then per entry: id, event type, expireAt ('' for none), field count,
--   fields…
-- Reply: {per entry {copies made, copies parked}, or -1 when it was not
--   pending to this consumer; the destination streams that had to come back}
local err = ew_type_error(KEYS[3], 'zset') or ew_type_error(KEYS[4], 'stream')
if err then return redis.error_reply(err) end
-- The short name: the part after the last dot (a name ending in a dot is its own).
local function short(name)
  return string.match(name, '([^%.]+)$') or name
end
local subs = redis.call('HGETALL', KEYS[2])
local wants = {}
for i = 1, #subs, 2 do
  local ok, types = pcall(cjson.decode, subs[i + 1])
  if ok and type(types) == 'table' then
    local set = {}
    for _, t in ipairs(types) do
      if type(t) == 'string' then set[short(t)] = true end
    end
    wants[#wants + 1] = {subs[i], set}
  end
end
local group, consumer, prefix, maxlen, mode, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
err = ew_maxlen_error(maxlen)
if err then return redis.error_reply(err) end
local pos = 7
while pos <= #ARGV do
  local n = tonumber(ARGV[pos + 3])
  err = ew_fields_error(n) or ew_expiry_error(ARGV[pos + 2])
  if err then return redis.error_reply(err) end
  pos = pos + 4 + n
end

-- A key's type, and whether a destination stream exists, are looked up
-- once per call: this script only ever makes keys of the right types.
local typeOf = {}
local function bad_type(key, t)
  local memo = typeOf[t .. ' ' .. key]
  if memo == nil then
    memo = ew_type_error(key, t) or false
    typeOf[t .. ' ' .. key] = memo
  end
  return memo or nil
end
local alive = {}

local out = {}
local written = {}
local revived = {}
pos = 7
while pos <= #ARGV do
  local id, etype, exp, n = ARGV[pos], short(ARGV[pos + 1]), ARGV[pos + 2], tonumber(ARGV[pos + 3])
  local fstart = pos + 4
  pos = fstart + n
  local p = redis.call('XPENDING', KEYS[1], group, id, id, 1)
  if #p == 0 or p[1][2] ~= consumer then
    out[#out + 1] = -1
  else
    local copies, parkedCount = 0, 0
    for _, w in ipairs(wants) do
      if w[2]['*'] or w[2][etype] then
        local queue = 'sub:' .. w[1]
        local key = prefix .. queue
        local bad = bad_type(key, 'stream') or bad_type(key .. ':metadata', 'hash')
        if not bad and exp ~= '' then bad = bad_type(key .. ':expiry', 'zset') end
        if bad then
          local reason = 'undeliverable: the copy for ' .. queue .. ' cannot be written (' .. bad .. ')'
          local dlq = key .. ':dlq'
          if bad_type(dlq, 'stream') then dlq = KEYS[4] end
          redis.call('XADD', dlq, '*', unpack(ew_parked(fstart, n, reason, now)))
          parkedCount = parkedCount + 1
        else
          if not alive[key] then
            if ew_revive(key, queue .. '-group', key .. ':metadata') then revived[#revived + 1] = key end
            alive[key] = true
          end
          local args = {key, '*'}
          for j = fstart, fstart + n - 1 do args[#args + 1] = ARGV[j] end
          local nid = redis.call('XADD', unpack(args))
          if exp ~= '' then redis.call('ZADD', key .. ':expiry', exp, nid) end
          written[key] = true
          copies = copies + 1
        end
      end
    end
    redis.call('XACK', KEYS[1], group, id)
    redis.call('ZREM', KEYS[3], id)
    out[#out + 1] = {copies, parkedCount}
  end
end
for key in pairs(written) do ew_trim(key, maxlen, mode, key .. ':metadata') end
return {out, revived}
