// placeholder for build bootstrapping
