/**
 * The Lua scripts that make the multi-step operations atomic on the server.
 * Each runs as one step: a crash of the client at any point leaves either
 * all of an operation's effects or none.
 */

/**
 * Append entries (one or more streams), each with its expiry in the stream's
 * `:expiry` set when it has one. Every entry is checked before any is
 * written: Redis keeps the writes a script made before it failed, so an
 * entry refused half way would leave the ones before it written.
 * KEYS: stream1, expiry1, stream2, expiry2, …
 * ARGV: maxlen, then per entry: field count, fields…, expireAt ('' for none).
 */
export const APPEND = `
local maxlen = ARGV[1]
local wrongtype = 'WRONGTYPE Operation against a key holding the wrong kind of value'
local pos = 2
for i = 1, #KEYS, 2 do
  local n = tonumber(ARGV[pos])
  if not n or n < 2 or n % 2 ~= 0 then
    return redis.error_reply("ERR wrong number of arguments for 'xadd' command")
  end
  local t = redis.call('TYPE', KEYS[i]).ok
  if t ~= 'none' and t ~= 'stream' then return redis.error_reply(wrongtype) end
  local exp = ARGV[pos + 1 + n]
  if exp ~= '' then
    local e = tonumber(exp)
    if not e or e ~= e then return redis.error_reply('ERR value is not a valid float') end
    t = redis.call('TYPE', KEYS[i + 1]).ok
    if t ~= 'none' and t ~= 'zset' then return redis.error_reply(wrongtype) end
  end
  pos = pos + 2 + n
end
pos = 2
local ids = {}
for i = 1, #KEYS, 2 do
  local n = tonumber(ARGV[pos])
  pos = pos + 1
  local args = {KEYS[i], 'MAXLEN', '~', maxlen, '*'}
  for j = 0, n - 1 do args[#args + 1] = ARGV[pos + j] end
  pos = pos + n
  local id = redis.call('XADD', unpack(args))
  local exp = ARGV[pos]
  pos = pos + 1
  if exp ~= '' then redis.call('ZADD', KEYS[i + 1], exp, id) end
  ids[#ids + 1] = id
end
return ids
`;

/**
 * Append entries one after the other, as a pipeline of XADDs would (not all
 * or nothing: an error stops the script, and what it appended before stays),
 * in one command. The entries come packed in two arguments rather than as
 * one argument per field: parsing many small arguments is most of what a
 * batch costs a client, and costs the server more than this.
 * KEYS: the distinct streams, then their expiry sets in the same order.
 * ARGV: maxlen; the lengths, each as four bytes (unsigned, big-endian): per
 * entry, its stream's number (1-based), its field count, the length of each
 * field, the length of its expireAt (0 for none); the bytes of the fields
 * and expiry times, one after the other.
 * Returns the ids.
 */
export const APPEND_PACKED = `
local streams = #KEYS / 2
local maxlen = ARGV[1]
local lengths = ARGV[2]
local blob = ARGV[3]
local sub = string.sub
local byte = string.byte
local last = #lengths
local h = 1
local pos = 1
local ids = {}
local function number()
  local a, b, c, d = byte(lengths, h, h + 3)
  h = h + 4
  return ((a * 256 + b) * 256 + c) * 256 + d
end
while h <= last do
  local k = number()
  local n = number()
  local args = {KEYS[k], 'MAXLEN', '~', maxlen, '*'}
  for j = 1, n do
    local len = number()
    args[5 + j] = sub(blob, pos, pos + len - 1)
    pos = pos + len
  end
  local elen = number()
  local id = redis.call('XADD', unpack(args))
  if elen > 0 then
    redis.call('ZADD', KEYS[streams + k], sub(blob, pos, pos + elen - 1), id)
    pos = pos + elen
  end
  ids[#ids + 1] = id
end
return ids
`;

/**
 * Acknowledge entries and drop them from the stream's expiry set, in one
 * step (as MULTI/EXEC would, in one command; a failure of the second part,
 * as of the ZREM in a MULTI, does not undo the first).
 * KEYS: stream, stream expiry set. ARGV: group, ids…
 * Returns how many were pending.
 */
export const ACK = `
local acked = 0
for i = 2, #ARGV, 1000 do
  local j = math.min(i + 999, #ARGV)
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, j))
  redis.pcall('ZREM', KEYS[2], unpack(ARGV, i, j))
end
return acked
`;

/**
 * Move one entry to the DLQ and acknowledge it, only if it is still pending
 * to this consumer.
 * KEYS: stream, dlq, stream expiry set.
 * ARGV: group, consumer, id, maxlen, fields…
 */
export const DEAD_LETTER = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return false end
local args = {KEYS[2], 'MAXLEN', '~', ARGV[4], '*'}
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
return id
`;

/**
 * Move one entry from the DLQ back to the main stream, only if it is still
 * in the DLQ.
 * KEYS: dlq, stream, dlq expiry set.
 * ARGV: id, maxlen, fields…
 */
export const REQUEUE = `
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
local args = {KEYS[2], 'MAXLEN', '~', ARGV[2], '*'}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return id
`;

/**
 * Reclaim entries idle for at least min-idle ms, with their delivery counts.
 * KEYS: stream. ARGV: group, consumer, min-idle, cursor, count.
 * Returns {next cursor, entries, delivery counts, deleted ids}.
 */
export const CLAIM_IDLE = `
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local entries = {}
local counts = {}
for _, e in ipairs(r[2]) do
  if e then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    entries[#entries + 1] = e
    counts[#counts + 1] = p[1] and p[1][4] or 1
  end
end
return {r[1], entries, counts, r[3] or {}}
`;

/**
 * Claim one entry for a retry.
 * KEYS: stream. ARGV: group, consumer, min-idle, id.
 * Returns {0} when it is no longer pending to this consumer, {1} when its
 * entry is gone (it is then acknowledged), {2, entry, deliveries} when
 * claimed.
 */
export const CLAIM_ONE = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[4], ARGV[4], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return {0} end
if #redis.call('XRANGE', KEYS[1], ARGV[4], ARGV[4]) == 0 then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[4])
  return {1}
end
local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
if #c == 0 then return {0} end
return {2, c[1], p[1][4] + 1}
`;

/**
 * Reset the idle time of entries still pending to this consumer.
 * KEYS: stream. ARGV: group, consumer, ids…
 */
export const TOUCH = `
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p > 0 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  end
end
return 0
`;

/**
 * Route entries of the bus's shared queue to the subscription queues, then
 * acknowledge them and drop them from the shared queue's `:expiry` set. It
 * writes the subscription queues it finds in the subscriptions hash, keys it
 * cannot declare in KEYS: one Redis server, not Redis Cluster.
 * KEYS: shared stream, subscriptions hash, shared stream expiry set.
 * ARGV: group, consumer, prefix, maxlen, then per entry: id, event type,
 * expireAt ('' for none), field count, fields…
 * Returns per entry the number of copies made, or -1 when not pending to
 * this consumer.
 */
export const ROUTE = `
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
`;

/**
 * Delete the consumers of a group that have nothing pending and have been
 * idle at least min-idle ms, except one. In one step: a consumer deleted
 * just after it received entries would take them out of the pending list,
 * where nobody could claim them any more.
 * KEYS: stream. ARGV: group, min-idle, consumer to keep.
 * Returns how many were deleted (0 when the stream or group is missing).
 */
export const PRUNE = `
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if consumers.err then
  if string.find(consumers.err, 'NOGROUP', 1, true) or string.find(consumers.err, 'no such key', 1, true) then return 0 end
  return consumers
end
local minidle = tonumber(ARGV[2])
local removed = 0
for _, c in ipairs(consumers) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['name'] ~= ARGV[3] and tonumber(f['pending']) == 0 and tonumber(f['idle']) >= minidle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    removed = removed + 1
  end
end
return removed
`;

/**
 * Remove a consumer from a group, only when it has nothing pending.
 * KEYS: stream. ARGV: group, consumer. Returns 1 when removed.
 */
export const LEAVE = `
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if p.err or #p > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) >= 0 and 1 or 0
`;
