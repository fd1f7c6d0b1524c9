#!/bin/sh
# GET /: records a visit through the API (which queues a job for the worker) and
# renders the numbers it answers. Reloads itself every 3 seconds.
api=${API_URL:-http://api:8080}
stats=$(timeout 10 busybox wget -q -O- "$api/cgi-bin/visit" 2>/dev/null)
# The API's JSON has one "key": value a line; one sed turns it into "key value".
fields=$(printf '%s\n' "$stats" | sed -n 's/^  "\([a-z_]*\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\1 \2/p')
field() { printf '%s\n' "$fields" | while read -r key value; do [ "$key" = "$1" ] && echo "$value"; done; }
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
cat <<HTML
<!doctype html>
<html><head><title>hako quickstart</title><meta http-equiv="refresh" content="3">
<link rel="stylesheet" href="/style.css"></head><body>
<h1>hako quickstart</h1>
<p>This page is served by the <code>web</code> service (busybox httpd). Each view
asks the <code>api</code> service, which counts it in Redis (the <code>db</code>
service, data on the named volume <code>redis-data</code>) and queues a job that the
<code>worker</code> service takes.</p>
HTML
if [ -z "$stats" ]; then
  echo "<p class=\"error\">The API at $api did not answer.</p></body></html>"
  exit 0
fi
cat <<HTML
<table>
<tr><td>page views</td><td class="number" id="visits">$(field visits)</td></tr>
<tr><td>jobs done by the worker</td><td class="number" id="jobs-processed">$(field jobs_processed)</td></tr>
<tr><td>jobs waiting</td><td class="number" id="jobs-queued">$(field jobs_queued)</td></tr>
<tr><td>last job</td><td id="last-job">$(field last_job)</td></tr>
<tr><td>worker last seen</td><td id="worker-seen">$(field worker_seen_seconds_ago) s ago</td></tr>
<tr><td>Redis</td><td>$(field redis_version), up $(field redis_uptime_seconds) s, $(field redis_keys) keys, append-only file: $(field redis_append_only)</td></tr>
<tr><td>answered by</td><td>api container $(field api_host) at $(field time)</td></tr>
</table>
<p>The same numbers as JSON: <a href="/cgi-bin/stats">/cgi-bin/stats</a>.</p>
</body></html>
HTML
