// Iceberg's REST test catalog (RESTCatalogServer from iceberg-open-api 1.10.x) bound to one host instead of every interface.
package org.apache.iceberg.rest;

import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

/**
 * Same wiring as RESTCatalogServer.start, but with an explicit connector host: the upstream server
 * calls `new Server(port)`, which listens on 0.0.0.0, and the test stack must stay on loopback.
 * Lives in org.apache.iceberg.rest because the adapter and the env-to-properties mapping are
 * package-private. Configured only through CATALOG_* environment variables (`_` -> `.`,
 * `__` -> `-`), plus `rest.host` / `rest.port` (CATALOG_REST_HOST / CATALOG_REST_PORT).
 */
public final class LoopbackRESTCatalogServer {
  private LoopbackRESTCatalogServer() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> properties = new HashMap<>(RCKUtils.environmentCatalogConfig());
    String host = required(properties, "rest.host");
    int port = Integer.parseInt(required(properties, "rest.port"));
    required(properties, "catalog-impl");
    required(properties, "warehouse");
    String name = properties.getOrDefault("catalog.name", "rest_backend");

    Catalog catalog = CatalogUtil.buildIcebergCatalog(name, properties, new Configuration());
    RESTCatalogAdapter adapter =
        new RESTServerCatalogAdapter(new RESTCatalogServer.CatalogContext(catalog, properties));

    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.addServlet(new ServletHolder(new RESTCatalogServlet(adapter)), "/*");
    context.insertHandler(new GzipHandler());

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(context);
    // SIGTERM from `stack down` runs shutdown hooks: stop Jetty so the SQLite file is closed cleanly.
    server.setStopAtShutdown(true);
    server.start();
    System.err.println("iceberg rest catalog listening on http://" + host + ":" + port);
    server.join();
  }

  private static String required(Map<String, String> properties, String key) {
    String value = properties.get(key);
    if (value == null || value.isEmpty()) {
      String env = "CATALOG_" + key.replace("-", "__").replace(".", "_").toUpperCase(java.util.Locale.ROOT);
      throw new IllegalArgumentException("missing catalog property " + key + ": set " + env);
    }
    return value;
  }
}
