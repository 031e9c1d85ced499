-- eventwire script: ack, version 1
-- Acknowledge entries and drop them from the stream's expiry set, in one
-- step (as MULTI/EXEC would, in one command; a failure of the second part,
-- as of the ZREM in a MULTI, does not undo the first).
-- KEYS (2): stream, stream expiry set
-- ARGV: group, ids…
-- Reply: how many were pending
local acked = 0
for i = 2, #ARGV, 1000 do
  local j = math.min(i + 999, #ARGV)
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, j))
  redis.pcall('ZREM', KEYS[2], unpack(ARGV, i, j))
end
return acked
