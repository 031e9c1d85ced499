-- eventwire script: append-packed, version 2
-- Append entries one after the other, as a pipeline of XADDs would, in one
-- command: the keys are checked first, then an error stops the script and
-- what it appended before stays. The entries come packed in two arguments
-- rather than as one argument per field: parsing many small arguments is
-- most of what a batch costs a client, and costs the server more than this.
-- A stream that is gone comes back with its consumer group at the start;
-- each stream is then trimmed as the trim mode says.
-- Uses: lib/streams
-- KEYS (variable): the distinct streams, then their expiry sets, then their
--   metadata hashes, in the same order
-- ARGV: maxlen; trim mode; the lengths, each as four bytes (unsigned,
--   big-endian): per entry, its stream's number (1-based), its field count,
--   the length of each field, the length of its expireAt (0 for none); the
--   bytes of the fields and expiry times, one after the other; then the
--   consumer group of each stream, in the order of KEYS
-- Reply: {the new entry ids in order, the streams that had to come back,
--   the number of entries trimmed unread}
local streams = #KEYS / 3
local maxlen, mode = ARGV[1], ARGV[2]
local lengths = ARGV[3]
local blob = ARGV[4]
local sub = string.sub
local byte = string.byte
local last = #lengths
for k = 1, streams do
  local err = ew_type_error(KEYS[k], 'stream') or ew_type_error(KEYS[streams + k], 'zset') or ew_type_error(KEYS[2 * streams + k], 'hash')
  if err then return redis.error_reply(err) end
end
local revived = {}
for k = 1, streams do
  if ew_revive(KEYS[k], ARGV[4 + k], KEYS[2 * streams + k]) then revived[#revived + 1] = KEYS[k] end
end
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
  local args = {KEYS[k], '*'}
  for j = 1, n do
    local len = number()
    args[2 + j] = sub(blob, pos, pos + len - 1)
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
local unread = 0
for k = 1, streams do
  local _, u = ew_trim(KEYS[k], maxlen, mode, KEYS[2 * streams + k])
  unread = unread + u
end
return {ids, revived, unread}
