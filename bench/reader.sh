# Sourced by run.sh, access.sh and the peer harness: gives the benchmark store an access policy in which a reader
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

# A reader limited to regions (kern, certified, supra-regional reach over the Randstad's eight safety regions) of the
# same layer: its tiles pass through the spatial filter (points tested against its area on the
# area's edges). Prints a one-day token. Call after reader_token.
regional_reader_token() {  # BIN DATA
  local bin=$1 data=$2
  "$bin" admin org --data "$data" --id regional --name Regional --task hulpdienst --profile kern --audit certified --reach supra-regional --regions VR09,VR12,VR13,VR14,VR15,VR16,VR17,VR18 --adoption VR09 > /dev/null
  "$bin" admin user --data "$data" --id regional --name Regional --org regional --roles viewer > /dev/null
  "$bin" admin token issue --data "$data" --user regional --days 1 | tail -1
}
