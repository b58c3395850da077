-- One alert per POST to Alertmanager's own API, each with labels no other request uses (so each
-- is a new alert, as each PagerDuty event is a new dedup key on the Watchkeeper side).
local counter = 0
local prefix

function init(args)
  prefix = tostring({}):sub(8)
end

function request()
  counter = counter + 1
  local body = '[{"labels":{"alertname":"HighCPU","instance":"web' .. counter % 50
    .. '","bench":"' .. prefix .. '-' .. counter .. '","severity":"warning"},'
    .. '"annotations":{"summary":"CPU above 90%"},"generatorURL":"http://prometheus.example.com/graph"}]'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
