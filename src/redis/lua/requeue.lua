-- eventwire script: requeue, version 3
-- Move one entry from the DLQ back to the main stream, only if it is
-- still in the DLQ; every key and argument is checked before anything is
-- written. A main stream that is gone comes back with its consumer group
-- at the start; it is then trimmed as the trim mode says.
-- Uses: lib/streams
-- KEYS (4): dlq, stream, dlq expiry set, stream metadata hash
-- ARGV: id, maxlen, trim mode, the stream's consumer group, fields…
-- Reply: {the new entry id, 1 when the stream had to come back else 0}, or
--   nil when the entry is no longer in the DLQ (nothing written)
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
local err = ew_maxlen_error(ARGV[2]) or ew_fields_error(#ARGV - 4)
  or ew_type_error(KEYS[2], 'stream') or ew_type_error(KEYS[3], 'zset') or ew_type_error(KEYS[4], 'hash')
if err then return redis.error_reply(err) end
local revived = ew_revive(KEYS[2], ARGV[4], KEYS[4])
local args = {KEYS[2], '*'}
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
ew_trim(KEYS[2], ARGV[2], ARGV[3], KEYS[4])
return {id, revived and 1 or 0}
