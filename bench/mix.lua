-- The request mix of `make bench`: list 50%, get 20%, create 15%,
-- update 10%, delete 5%, spread over many users with real tokens.
-- Reads the users file given after `--`: one line per user,
--   user_id token stable_id,stable_id,... deletable_id,deletable_id,...
-- The second argument names the scenario: `mix`, `list` (first pages only),
-- `get` (stable tasks only) or `flat` (the first user's first page). The
-- third and fourth give the window of each user's deletable ids this run may
-- delete (first index, size), so that interleaved rounds never delete a task
-- twice.

local users = {}
local mode = "mix"
local window_start = 1
local window_size = 1
local threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    table.insert(parts, part)
  end
  return parts
end

function init(args)
  mode = args[2] or "mix"
  window_start = tonumber(args[3] or "1")
  window_size = tonumber(args[4] or "1")
  for line in io.lines(args[1]) do
    local fields = split(line, " ")
    table.insert(users, {
      id = fields[1],
      headers = {
        ["Authorization"] = "Bearer " .. fields[2],
        ["Content-Type"] = "application/json",
      },
      stable = split(fields[3], ","),
      deletable = split(fields[4], ","),
      next_delete = 0,
    })
  end
  math.randomseed(os.time())
end

request = function()
  local user = users[math.random(#users)]
  if mode == "flat" then
    user = users[1]
  end
  local base = "/api/" .. user.id .. "/tasks"
  local roll = math.random(100)
  if mode == "list" or mode == "flat" then
    roll = 1
  elseif mode == "get" then
    roll = 51
  end
  if roll <= 50 then
    return wrk.format("GET", base .. "?limit=50", user.headers)
  elseif roll <= 70 then
    local id = user.stable[math.random(#user.stable)]
    return wrk.format("GET", base .. "/" .. id, user.headers)
  elseif roll <= 85 then
    return wrk.format("POST", base, user.headers, '{"title": "Benchmark task", "completed": false}')
  elseif roll <= 95 then
    local id = user.stable[math.random(#user.stable)]
    return wrk.format("PUT", base .. "/" .. id, user.headers,
      '{"title": "Updated", "description": "by the benchmark", "completed": true}')
  else
    local id = user.deletable[window_start + user.next_delete]
    user.next_delete = (user.next_delete + 1) % window_size
    return wrk.format("DELETE", base .. "/" .. id, user.headers)
  end
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local counts = {}
  for status, count in pairs(totals) do
    table.insert(counts, string.format('"%d": %d', status, count))
  end
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(counts, ", ")))
end
