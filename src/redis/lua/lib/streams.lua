-- eventwire library: streams, version 2
-- Functions the scripts that write to streams share; a script that names
-- this library in its header ("-- Uses: lib/streams") runs with it in front.
-- Stream ids are compared as numbers: their milliseconds stay below 2^53.

-- The two numbers of a stream id ('1732700000123-4' → 1732700000123, 4).
local function ew_id(id)
  local dash = string.find(id, '-', 1, true)
  if not dash then return tonumber(id), 0 end
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end

-- The smallest id above id ('5-1' → '5-2').
local function ew_after(id)
  local dash = string.find(id, '-', 1, true)
  if not dash then return id .. '-1' end
  return string.sub(id, 1, dash - 1) .. '-' .. string.format('%d', tonumber(string.sub(id, dash + 1)) + 1)
end

-- Whether id a comes before id b.
local function ew_before(a, b)
  local am, as = ew_id(a)
  local bm, bs = ew_id(b)
  return am < bm or (am == bm and as < bs)
end

-- An error reply unless key holds nothing or a value of one of the types.
local function ew_type_error(key, a, b)
  local t = redis.call('TYPE', key).ok
  if t == 'none' or t == a or t == b then return nil end
  return 'WRONGTYPE ' .. key .. ' holds a ' .. t .. ', not a ' .. a
end

-- An error reply unless maxlen is a whole number of entries XTRIM MAXLEN
-- takes (checked before anything is written: Redis keeps the writes a
-- script made before a command of it failed).
local function ew_maxlen_error(maxlen)
  local n = tonumber(maxlen)
  if not n or n ~= n or n ~= math.floor(n) or n > 9007199254740991 or n < -9007199254740991 then
    return 'ERR value is not an integer or out of range'
  end
  if n < 0 then return 'ERR The MAXLEN argument must be >= 0.' end
  return nil
end

-- An error reply unless n field names and values make whole pairs, at
-- least one, as XADD takes them.
local function ew_fields_error(n)
  if not n or n < 2 or n % 2 ~= 0 then return "ERR wrong number of arguments for 'xadd' command" end
  return nil
end

-- An error reply unless exp ('' for none) is a score ZADD takes.
local function ew_expiry_error(exp)
  if exp == '' then return nil end
  local e = tonumber(exp)
  if not e or e ~= e then return 'ERR value is not a valid float' end
  return nil
end

local ew_escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['\b'] = '\\b', ['\f'] = '\\f'}

-- A string (UTF-8) as JSON text, as Python's json.dumps writes it
-- (ensure_ascii: every character outside printable ASCII as \uXXXX).
local function ew_json_string(s)
  s = string.gsub(s, '[%z\1-\31"\\\127]', function(c)
    return ew_escapes[c] or string.format('\\u%04x', string.byte(c))
  end)
  s = string.gsub(s, '[\192-\247][\128-\191]*', function(seq)
    local c = string.byte(seq, 1)
    local len = (c >= 240 and 4) or (c >= 224 and 3) or 2
    if #seq ~= len then return string.rep('\\ufffd', #seq) end
    local cp = c % ((c >= 240 and 8) or (c >= 224 and 16) or 32)
    for k = 2, len do cp = cp * 64 + string.byte(seq, k) % 64 end
    if cp > 65535 then
      cp = cp - 65536
      return string.format('\\u%04x\\u%04x', 55296 + math.floor(cp / 1024), 56320 + cp % 1024)
    end
    return string.format('\\u%04x', cp)
  end)
  s = string.gsub(s, '[\128-\255]', '\\ufffd')
  return '"' .. s .. '"'
end

-- A JSON list (`list`: its text, or nil) with one more item (`item`: its
-- text): the list's own text kept as it is, the item after a ", ", as
-- Python's json.dumps separates items; a list that is not a JSON array
-- starts again.
local function ew_json_append(list, item)
  if list and string.find(list, '^[ \t\n\r]*%[') then
    local ok, value = pcall(cjson.decode, list)
    if ok and type(value) == 'table' then
      local body = string.match(list, '^(.-)[ \t\n\r]*%][ \t\n\r]*$')
      if body then
        if string.find(body, '^[ \t\n\r]*%[[ \t\n\r]*$') then return body .. item .. ']' end
        return body .. ', ' .. item .. ']'
      end
    end
  end
  return '[' .. item .. ']'
end

-- The fields ARGV[fstart .. fstart + n - 1] with a move to a DLQ recorded
-- in their `_failures` field (moved to the end): the list as it was, and one
-- more item, as Python's json.dumps writes it. `now` is float seconds as
-- Python writes a float.
local function ew_parked(fstart, n, reason, now)
  local args = {}
  local failures = nil
  for j = fstart, fstart + n - 1, 2 do
    if ARGV[j] == '_failures' then
      failures = ARGV[j + 1]
    else
      args[#args + 1] = ARGV[j]
      args[#args + 1] = ARGV[j + 1]
    end
  end
  args[#args + 1] = '_failures'
  args[#args + 1] = ew_json_append(failures, '{"timestamp": ' .. now .. ', "reason": ' .. ew_json_string(reason) .. '}')
  return args
end

-- A stream that is gone (Redis restarted empty, FLUSHALL, DEL) comes back
-- with its consumer group at the start, so that a reader loses nothing
-- written to it from now on; the reset is counted in its metadata hash
-- (field resets). Returns true when it had to.
local function ew_revive(stream, group, metadata)
  if redis.call('EXISTS', stream) == 1 then return false end
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  redis.call('HINCRBY', metadata, 'resets', 1)
  return true
end

-- Trims a stream to maxlen entries, oldest first, as far as the mode lets:
-- 'acknowledged' trims only entries that every consumer group has
-- delivered and acknowledged (none while no group exists); 'length' trims
-- to maxlen whatever was read, as LeanMQ's MAXLEN does, and counts in the
-- stream's metadata hash (field trimmed_unread) the entries trimmed before
-- a group had read them. Returns the number trimmed and the number of those
-- that were unread.
local function ew_trim(stream, maxlen, mode, metadata)
  local len = redis.call('XLEN', stream)
  local excess = len - tonumber(maxlen)
  if excess <= 0 then return 0, 0 end
  -- The floor: no group has an entry at or above it unread or unacknowledged.
  local floor = nil
  local lowest_delivered = nil
  local groups = redis.call('XINFO', 'GROUPS', stream)
  for _, g in ipairs(groups) do
    local f = {}
    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
    local delivered = f['last-delivered-id']
    local above = ew_after(delivered)
    if tonumber(f['pending']) > 0 then
      local first = redis.call('XPENDING', stream, f['name'])[2]
      if first and ew_before(first, above) then above = first end
    end
    if floor == nil or ew_before(above, floor) then floor = above end
    if lowest_delivered == nil or ew_before(delivered, lowest_delivered) then lowest_delivered = delivered end
  end
  local trim = excess
  local unread = 0
  if mode == 'acknowledged' then
    if floor == nil then return 0, 0 end
    trim = #redis.call('XRANGE', stream, '-', '(' .. floor, 'COUNT', excess)
  else
    local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
    for _, e in ipairs(oldest) do
      if lowest_delivered == nil or ew_before(lowest_delivered, e[1]) then unread = unread + 1 end
    end
  end
  if trim == 0 then return 0, 0 end
  redis.call('XTRIM', stream, 'MAXLEN', len - trim)
  if unread > 0 then redis.call('HINCRBY', metadata, 'trimmed_unread', unread) end
  return trim, unread
end
