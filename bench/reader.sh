# Sourced by run.sh and access.sh: gives the benchmark store an access policy in which a reader
# (kern, certified, national reach) reads the hydrants layer, restricted so that every read is
# decided and audited, and prints a one-day token for it.
reader_token() {  # BIN DATA
  local bin=$1 data=$2
  "$bin" admin org --data "$data" --id bench --name Bench --task beheerder --profile kern --audit certified --reach national --adoption VR09 > /dev/null
  "$bin" admin org --data "$data" --id reader --name Reader --task hulpdienst --profile kern --audit certified --reach national --adoption VR09 > /dev/null
  "$bin" admin user --data "$data" --id reader --name Reader --org reader --roles viewer > /dev/null
  "$bin" admin conditions hydrants --data "$data" --owner bench --sensitivity restricted > /dev/null
  "$bin" admin token issue --data "$data" --user reader --days 1 | tail -1
}
