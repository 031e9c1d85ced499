-- eventwire script: append, version 1
-- Append entries (to one or more streams), each with its expiry in the
-- stream's `:expiry` set when it has one, all or none: every entry is
-- checked before any is written (Redis keeps the writes a script made
-- before it failed, so an entry refused half way would leave the ones
-- before it written).
-- KEYS (variable): stream1, expiry set1, stream2, expiry set2, …
-- ARGV: maxlen, then per entry: its field count, its fields…, its expireAt ('' for
--   none)
-- Reply: the new entry ids, in order
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
