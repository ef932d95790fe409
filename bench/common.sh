# Sourced by the benchmark scripts: timing helpers, the machine banner and the 1M-hydrant source file.
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

machine() {
  echo "== machine"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "gdal: $(gdal-config --version)"
}

source_file() {  # BIN OUT COUNT: generates the hydrants once, prints the path
  local src="$2/hydrants-$3.gpkg"
  if [ ! -f "$src" ]; then
    echo "== generate $3 hydrants" >&2
    local t0 t1; t0=$(now); "$1" generate hydrants --count "$3" --out "$src" >&2; t1=$(now)
    echo "generate: $(elapsed "$t0" "$t1") s" >&2
  fi
  echo "$src"
}
