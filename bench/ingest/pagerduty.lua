-- One PagerDuty Events v2 trigger per request, each with a dedup key no other request uses.
-- The routing key is the script's first argument.
local counter = 0
local prefix, key

function init(args)
  key = args[1]
  prefix = tostring({}):sub(8) -- differs per wrk thread: each has its own Lua state
end

function request()
  counter = counter + 1
  local body = '{"routing_key":"' .. key .. '","event_action":"trigger","dedup_key":"bench-' .. prefix
    .. '-' .. counter .. '","payload":{"summary":"CPU above 90% on web' .. counter % 50
    .. '","source":"web' .. counter % 50 .. '.example.com","severity":"warning"}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
