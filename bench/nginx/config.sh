# Sourced by the cost scripts (bench/instructions.sh, steps.sh, cpu_per_request.sh): nginx as the
# TLS ceiling, answering bench/nginx/response.json on /validate and /mutate. bench/run.sh fills the
# same template with the answers it captured from flink-memguard instead.
#
# nginx_conf DIR PORT CERT KEY: writes DIR/nginx.conf (nginx -c DIR/nginx.conf -e DIR/error.log runs it).
nginx_conf() {
  local dir="$1" port="$2" cert="$3" key="$4" here response
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  response="$(cat "$here/response.json")"
  mkdir -p "$dir"
  sed -e "s|@DIR@|$dir|g; s|@PORT@|$port|g; s|@CERT@|$cert|g; s|@KEY@|$key|g" \
      -e "s|@VALIDATE_RESPONSE@|$response|; s|@MUTATE_RESPONSE@|$response|" \
      "$here/nginx.conf.template" > "$dir/nginx.conf"
}
