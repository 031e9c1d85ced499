-- eventwire script: set-partitions, version 1
-- Record how many partitions publishers write to, and raise the most the
-- queue has had (which consumers read) when it is below.
-- Uses: lib/streams
-- KEYS (1): the queue's metadata hash (of partition 0)
-- ARGV: count
-- Reply: {count, highest}
local err = ew_type_error(KEYS[1], 'hash')
if err then return redis.error_reply(err) end
local count = tonumber(ARGV[1])
local highest = tonumber(redis.call('HGET', KEYS[1], 'partitions_highest') or '1') or 1
if count > highest then highest = count end
redis.call('HSET', KEYS[1], 'partitions', count, 'partitions_highest', highest)
return {count, highest}
