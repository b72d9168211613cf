/**
 * The nginx configuration for the services Slipway fronts: one server per service on its
 * own port, a weighted upstream of the slots with traffic, one upstream per slot for
 * preview routing (`x-slipway-slot` header or `slipway-slot` cookie), and an access log
 * whose lines name the upstream and status, from which traffic per slot is counted.
 */
export interface NginxSlot {
  slot: string;
  /** `host:port` of the version serving in this slot. */
  address: string;
  weight: number;
}

export interface NginxService {
  /** Safe identifier: letters, digits, `_`. */
  id: string;
  port: number;
  slots: NginxSlot[];
}

export const LOG_FORMAT = '$upstream_addr $status $request_time';

export function mainConfig(prefix: string, asRoot: boolean): string {
  // As root, workers would drop to `nobody` and lose access to the data directory.
  return `${asRoot ? 'user root;\n' : ''}worker_processes 1;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  log_format slipway '${LOG_FORMAT}';
  map $http_upgrade $slipway_connection { default upgrade; '' ''; }
  include ${prefix}/services/*.conf;
}
`;
}

export function serviceConfig(s: NginxService, prefix: string): string {
  const live = s.slots.filter((x) => x.weight > 0);
  const lines: string[] = [];
  const upstream = (name: string, servers: NginxSlot[], weighted: boolean) =>
    lines.push(`upstream ${name} {`, ...servers.map((x) => `  server ${x.address}${weighted ? ` weight=${x.weight}` : ''};`), '  keepalive 32;', '}');
  if (live.length > 0) upstream(`${s.id}__live`, live, true);
  for (const slot of s.slots) upstream(`${s.id}__${slot.slot}`, [slot], false);
  const fallback = live.length > 0 ? `${s.id}__live` : '';
  lines.push(
    // nginx variables cannot name a cookie with a dash: read it out of the Cookie header.
    `map $http_cookie $${s.id}__cookie_slot {`,
    '  default "";',
    `  "~(?:^|;\\s*)slipway-slot=(?<${s.id}__c>[A-Za-z0-9_-]+)" $${s.id}__c;`,
    '}',
    `map $http_x_slipway_slot$${s.id}__cookie_slot $${s.id}__up {`,
    `  default ${fallback || `${s.id}__none`};`,
    ...s.slots.map((x) => `  ~^${x.slot} ${s.id}__${x.slot};`),
    '}',
    'server {',
    `  listen 127.0.0.1:${s.port};`,
    `  access_log ${prefix}/${s.id}.access.log slipway;`,
    fallback || s.slots.length > 0 ? '' : '  return 503;',
    '  location / {',
    `    proxy_pass http://$${s.id}__up;`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection $slipway_connection;',
    '    proxy_set_header Upgrade $http_upgrade;',
    '    proxy_set_header Host $host;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '  }',
    '}',
  );
  if (!fallback) lines.unshift(`upstream ${s.id}__none { server 127.0.0.1:1 down; }`);
  return `${lines.filter(Boolean).join('\n')}\n`;
}
