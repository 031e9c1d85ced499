-- eventwire script: route, version 1
-- Route entries of the bus's shared queue to the subscription queues,
-- then acknowledge them and drop them from the shared queue's `:expiry`
-- set. It writes the subscription queues it finds in the subscriptions
-- hash, keys it cannot declare in KEYS: one Redis server, not Redis
-- Cluster.
-- KEYS (3): shared stream, subscriptions hash, shared stream expiry set
-- ARGV: group, consumer, prefix, maxlen, then per entry: id, event type, expireAt
--   ('' for none), field count, fields…
-- Reply: per entry, the number of copies made, or -1 when it was not pending to
--   this consumer
local subs = redis.call('HGETALL', KEYS[2])
local wants = {}
for i = 1, #subs, 2 do
  local ok, types = pcall(cjson.decode, subs[i + 1])
  if ok and type(types) == 'table' then
    local set = {}
    for _, t in ipairs(types) do set[t] = true end
    wants[#wants + 1] = {subs[i], set}
  end
end
local group, consumer, prefix, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local out = {}
local pos = 5
while pos <= #ARGV do
  local id, etype, exp, n = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2], tonumber(ARGV[pos + 3])
  local fstart = pos + 4
  pos = fstart + n
  local p = redis.call('XPENDING', KEYS[1], group, id, id, 1)
  if #p == 0 or p[1][2] ~= consumer then
    out[#out + 1] = -1
  else
    local copies = 0
    for _, w in ipairs(wants) do
      if w[2]['*'] or w[2][etype] then
        local key = prefix .. 'sub:' .. w[1]
        local args = {key, 'MAXLEN', '~', maxlen, '*'}
        for j = fstart, fstart + n - 1 do args[#args + 1] = ARGV[j] end
        local nid = redis.call('XADD', unpack(args))
        if exp ~= '' then redis.call('ZADD', key .. ':expiry', exp, nid) end
        copies = copies + 1
      end
    end
    redis.call('XACK', KEYS[1], group, id)
    redis.call('ZREM', KEYS[3], id)
    out[#out + 1] = copies
  end
end
return out
