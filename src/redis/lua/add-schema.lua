-- eventwire script: add-schema, version 1
-- Register a version of an event type's schema: the version already
-- registered with this fingerprint, else a new one when the newest is still
-- the one the caller checked against.
-- KEYS (2): schema hash, schema index set
-- ARGV: full name, expected latest version (0: none), fingerprint, FileDescriptorSet bytes, registered at (float seconds), forced (1 or 0)
-- Reply: {version, 1} added; {version, 0} exists; {-1, latest} conflict
local function kind(key)
  local t = redis.call('TYPE', key)
  return t.ok or t
end
if kind(KEYS[1]) ~= 'none' and kind(KEYS[1]) ~= 'hash' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' is not a hash')
end
if kind(KEYS[2]) ~= 'none' and kind(KEYS[2]) ~= 'set' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[2] .. ' is not a set')
end
local existing = redis.call('HGET', KEYS[1], 'by:' .. ARGV[3])
if existing then
  return {tonumber(existing), 0}
end
local latest = tonumber(redis.call('HGET', KEYS[1], 'latest') or '0')
if latest ~= tonumber(ARGV[2]) then
  return {-1, latest}
end
local v = latest + 1
redis.call('HSET', KEYS[1], 'latest', v, v .. ':set', ARGV[4], v .. ':fingerprint', ARGV[3], v .. ':registered_at', ARGV[5], v .. ':forced', ARGV[6], 'by:' .. ARGV[3], v)
redis.call('SADD', KEYS[2], ARGV[1])
return {v, 1}
