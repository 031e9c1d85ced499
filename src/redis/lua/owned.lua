-- eventwire script: owned, version 1
-- Which of these entries are pending to this consumer (routing on Redis
-- Cluster copies only what is still its own).
-- KEYS (1): stream
-- ARGV: group, consumer, ids…
-- Reply: per id, 1 when pending to the consumer, else 0
local out = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  out[#out + 1] = (#p > 0 and p[1][2] == ARGV[2]) and 1 or 0
end
return out
