-- eventwire script: append, version 3
-- Append entries (to one or more streams), each with its expiry in the
-- stream's `:expiry` set when it has one, all or none: every key and
-- argument is checked before anything is written (Redis keeps the writes a
-- script made before it failed). A stream that is gone comes back with its
-- consumer group at the start; each stream is then trimmed as the trim
-- mode says.
-- Uses: lib/streams
-- KEYS (variable): per entry: its stream, expiry set, metadata hash
-- ARGV: maxlen, trim mode, then per entry: the stream's consumer group, its
--   field count, its fields…, its expireAt ('' for none)
-- Reply: {the new entry ids in order, the streams that had to come back,
--   the number of entries trimmed unread}
local maxlen, mode = ARGV[1], ARGV[2]
local err = ew_maxlen_error(maxlen)
if err then return redis.error_reply(err) end
local pos = 3
for i = 1, #KEYS, 3 do
  local n = tonumber(ARGV[pos + 1])
  err = ew_fields_error(n) or ew_type_error(KEYS[i], 'stream') or ew_type_error(KEYS[i + 2], 'hash')
  if err then return redis.error_reply(err) end
  local exp = ARGV[pos + 2 + n]
  err = ew_expiry_error(exp) or (exp ~= '' and ew_type_error(KEYS[i + 1], 'zset')) or nil
  if err then return redis.error_reply(err) end
  pos = pos + 3 + n
end
pos = 3
local ids = {}
local revived = {}
local streams = {}
for i = 1, #KEYS, 3 do
  local group, n = ARGV[pos], tonumber(ARGV[pos + 1])
  pos = pos + 2
  if streams[KEYS[i]] == nil then
    streams[KEYS[i]] = KEYS[i + 2]
    if ew_revive(KEYS[i], group, KEYS[i + 2]) then revived[#revived + 1] = KEYS[i] end
  end
  local args = {KEYS[i], '*'}
  for j = 0, n - 1 do args[#args + 1] = ARGV[pos + j] end
  pos = pos + n
  local id = redis.call('XADD', unpack(args))
  local exp = ARGV[pos]
  pos = pos + 1
  if exp ~= '' then redis.call('ZADD', KEYS[i + 1], exp, id) end
  ids[#ids + 1] = id
end
local unread = 0
for stream, metadata in pairs(streams) do
  local _, u = ew_trim(stream, maxlen, mode, metadata)
  unread = unread + u
end
return {ids, revived, unread}
