-- eventwire script: dead-letter, version 3
-- Move one entry to the DLQ and acknowledge it, only if it is still
-- pending to this consumer; every key and argument is checked before
-- anything is written. The DLQ is then trimmed as the trim mode says.
-- Uses: lib/streams
-- KEYS (4): stream, dlq, stream expiry set, dlq metadata hash
-- ARGV: group, consumer, id, maxlen, trim mode, fields…
-- Reply: the DLQ entry id, or nil when the entry is not pending to this
--   consumer (nothing written)
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return false end
local err = ew_maxlen_error(ARGV[4]) or ew_fields_error(#ARGV - 5)
  or ew_type_error(KEYS[2], 'stream') or ew_type_error(KEYS[3], 'zset') or ew_type_error(KEYS[4], 'hash')
if err then return redis.error_reply(err) end
local args = {KEYS[2], '*'}
for i = 6, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
ew_trim(KEYS[2], ARGV[4], ARGV[5], KEYS[4])
return id
