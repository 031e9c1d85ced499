-- eventwire script: requeue, version 1
-- Move one entry from the DLQ back to the main stream, only if it is
-- still in the DLQ.
-- KEYS (3): dlq, stream, dlq expiry set
-- ARGV: id, maxlen, fields…
-- Reply: the new entry id, or nil when the entry is no longer in the DLQ (nothing
--   written)
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
local args = {KEYS[2], 'MAXLEN', '~', ARGV[2], '*'}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return id
