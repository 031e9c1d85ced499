-- eventwire script: claim-one, version 1
-- Claim one entry still pending to this consumer again, for a retry.
-- KEYS (1): stream
-- ARGV: group, consumer, min-idle, id
-- Reply: {0} when it is no longer pending to this consumer; {1} when its entry is
--   gone (it is then acknowledged); {2, entry, deliveries} when claimed
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[4], ARGV[4], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return {0} end
if #redis.call('XRANGE', KEYS[1], ARGV[4], ARGV[4]) == 0 then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[4])
  return {1}
end
local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
if #c == 0 then return {0} end
return {2, c[1], p[1][4] + 1}
