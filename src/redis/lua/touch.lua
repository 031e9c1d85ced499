-- eventwire script: touch, version 1
-- Reset the idle time of entries still pending to this consumer.
-- KEYS (1): stream
-- ARGV: group, consumer, ids…
-- Reply: 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p > 0 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  end
end
return 0
