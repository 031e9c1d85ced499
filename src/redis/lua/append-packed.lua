-- eventwire script: append-packed, version 3
-- Append entries one after the other, as a pipeline of XADDs would, in one
-- command. Every key and argument is checked first, as the append script
-- checks them, so that a refused call writes nothing. The entries come
-- packed in two arguments rather than as one argument per field: parsing
-- many small arguments is most of what a batch costs a client, and costs
-- the server more than this. A stream that is gone comes back with its
-- consumer group at the start; each stream is then trimmed as the trim
-- mode says.
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
local h = 1
local pos = 1
local function number()
  local a, b, c, d = byte(lengths, h, h + 3)
  h = h + 4
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- The checks, entry by entry in the order the append script makes them
-- (each key checked once).
local err = ew_maxlen_error(maxlen)
if err then return redis.error_reply(err) end
local checked = {}
local zchecked = {}
while h <= last do
  local k = number()
  local n = number()
  err = ew_fields_error(n)
  if not err and not checked[k] then
    err = ew_type_error(KEYS[k], 'stream') or ew_type_error(KEYS[2 * streams + k], 'hash')
    checked[k] = true
  end
  if err then return redis.error_reply(err) end
  for _ = 1, n do pos = pos + number() end
  local elen = number()
  if elen > 0 then
    err = ew_expiry_error(sub(blob, pos, pos + elen - 1))
    if not err and not zchecked[k] then
      err = ew_type_error(KEYS[streams + k], 'zset')
      zchecked[k] = true
    end
    if err then return redis.error_reply(err) end
    pos = pos + elen
  end
end

local revived = {}
for k = 1, streams do
  if ew_revive(KEYS[k], ARGV[4 + k], KEYS[2 * streams + k]) then revived[#revived + 1] = KEYS[k] end
end
h = 1
pos = 1
local ids = {}
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
