-- eventwire script: dead-letter, version 1
-- Move one entry to the DLQ and acknowledge it, only if it is still
-- pending to this consumer.
-- KEYS (3): stream, dlq, stream expiry set
-- ARGV: group, consumer, id, maxlen, fields…
-- Reply: the DLQ entry id, or nil when the entry is not pending to this consumer
--   (nothing written)
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return false end
local args = {KEYS[2], 'MAXLEN', '~', ARGV[4], '*'}
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
return id
