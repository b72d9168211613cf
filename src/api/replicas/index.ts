/** Replicas of one server on PostgreSQL: the only door of this folder. */
export { startReplicaServer, DEFAULT_LEASE_MS, type ReplicaOptions, type ReplicaServerOptions } from './replica-server.js';
