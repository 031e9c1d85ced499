-- eventwire script: leave, version 1
-- Remove a consumer from a group, only when it has nothing pending.
-- KEYS (1): stream
-- ARGV: group, consumer
-- Reply: 1 when removed, else 0
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if p.err or #p > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) >= 0 and 1 or 0
