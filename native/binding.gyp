{
  "targets": [
    {
      "target_name": "frugal_blas",
      "sources": ["frugal_blas.c"],
      "cflags": ["-O2", "-std=c11", "-Wall"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-lopenblas"]
    }
  ]
}
