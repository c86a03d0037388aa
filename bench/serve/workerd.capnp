# workerd.capnp — the serve benchmark's workerd config: one worker
# (worker.js, beside this file) on one HTTP socket at 127.0.0.1:0.
# bench/serve/run.sh reads the port workerd picked from --control-fd.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .hello) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const hello :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2024-09-01",
);
