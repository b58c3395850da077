-- One Alertmanager webhook notification (version 4) per request: a firing group of 100 alerts
-- whose fingerprints no other request uses.
local counter = 0
local prefix

function init(args)
  prefix = tostring({}):sub(8)
end

function request()
  counter = counter + 1
  local group = prefix .. "-" .. counter
  local alerts = {}
  for i = 1, 100 do
    alerts[i] = '{"status":"firing","labels":{"alertname":"HostDown","instance":"host' .. i
      .. '","group":"' .. group .. '"},"annotations":{"summary":"host' .. i .. ' is down"},'
      .. '"startsAt":"2024-05-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",'
      .. '"generatorURL":"http://prometheus.example.com/graph","fingerprint":"' .. group .. '-' .. i .. '"}'
  end
  local body = '{"version":"4","groupKey":"{}:{group=\\"' .. group .. '\\"}","status":"firing",'
    .. '"receiver":"watchkeeper","groupLabels":{"group":"' .. group .. '"},"commonLabels":{},'
    .. '"commonAnnotations":{},"externalURL":"http://alertmanager.example.com","truncatedAlerts":0,'
    .. '"alerts":[' .. table.concat(alerts, ",") .. ']}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
