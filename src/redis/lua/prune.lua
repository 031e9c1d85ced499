-- eventwire script: prune, version 1
-- Delete the consumers of a group that have nothing pending and have been
-- idle at least min-idle ms, except one. In one step: a consumer deleted
-- just after it received entries would take them out of the pending list,
-- where nobody could claim them any more.
-- KEYS (1): stream
-- ARGV: group, min-idle, consumer to keep
-- Reply: how many were deleted (0 when the stream or group is missing)
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if consumers.err then
  if string.find(consumers.err, 'NOGROUP', 1, true) or string.find(consumers.err, 'no such key', 1, true) then return 0 end
  return consumers
end
local minidle = tonumber(ARGV[2])
local removed = 0
for _, c in ipairs(consumers) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['name'] ~= ARGV[3] and tonumber(f['pending']) == 0 and tonumber(f['idle']) >= minidle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    removed = removed + 1
  end
end
return removed
