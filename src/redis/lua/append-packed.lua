-- eventwire script: append-packed, version 1
-- Append entries one after the other, as a pipeline of XADDs would (not
-- all or nothing: an error stops the script, and what it appended before
-- stays), in one command. The entries come packed in two arguments rather
-- than as one argument per field: parsing many small arguments is most of
-- what a batch costs a client, and costs the server more than this.
-- KEYS (variable): the distinct streams, then their expiry sets in the same order
-- ARGV: maxlen; the lengths, each as four bytes (unsigned, big-endian): per entry,
--   its stream's number (1-based), its field count, the length of each field,
--   the length of its expireAt (0 for none); the bytes of the fields and
--   expiry times, one after the other
-- Reply: the new entry ids, in order
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
