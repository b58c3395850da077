-- The alert storm of issue 14: PagerDuty Events v2 triggers, 95 % of them repeats of 200 open
-- problems (dedup keys problem-0 … problem-199, opened before the load), 5 % new problems.
-- The routing key is the script's first argument.
local counter = 0
local prefix, key

function init(args)
  key = args[1]
  prefix = tostring({}):sub(8) -- differs per wrk thread: each has its own Lua state
end

function request()
  counter = counter + 1
  local dedup
  if counter % 20 == 0 then
    dedup = 'new-' .. prefix .. '-' .. counter
  else
    dedup = 'problem-' .. counter % 200
  end
  local body = '{"routing_key":"' .. key .. '","event_action":"trigger","dedup_key":"' .. dedup
    .. '","payload":{"summary":"CPU above 90% on ' .. dedup .. '","source":"' .. dedup
    .. '.example.com","severity":"warning"}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
