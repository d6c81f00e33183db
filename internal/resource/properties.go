package resource

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// Keys of the ConfigMap the operator renders.
const (
	ClusterConfKey = "cluster.conf"
	PropertiesKey  = "application.properties"
)

// ApplicationProperties renders the complete application.properties every member reads.
// It replaces the image's file, so it carries what that file sets too. Secrets never appear
// in it: they are ${ENV} placeholders resolved by Spring from env vars fed by Secrets.
func ApplicationProperties(nc *nacosv1alpha1.NacosCluster) string {
	props := map[string]string{
		"nacos.server.main.port":       fmt.Sprint(PortHTTP),
		"server.error.include-message": "ALWAYS",
		// Readiness must cover Distro: with warmup on, naming is UP only after the Distro
		// snapshot loaded (ServerStatusManager, 2.4.2+); the code default is false.
		"nacos.naming.data.warmup":                  "true",
		"nacos.core.member.lookup.type":             "file",
		"nacos.core.auth.enabled":                   fmt.Sprint(nc.Spec.Auth.Enabled),
		"nacos.core.auth.system.type":               "nacos",
		"management.endpoints.web.exposure.include": "prometheus",
		// The image's pool settings. Without them Nacos's code default (3 s) applies, and on a
		// busy node embedded Derby's first boot outlasts it: measured on real 2.5.1 members,
		// "HikariPool-1 - Exception during pool initialization ... Login timeout exceeded",
		// then "Nacos failed to start".
		"db.pool.config.connectionTimeout": "30000",
		"db.pool.config.validationTimeout": "10000",
		"db.pool.config.maximumPoolSize":   "20",
		"db.pool.config.minimumIdle":       "2",
		// The image turns the user cache off; Nacos's code default keeps users cached and
		// reloads them every 15 s. With it on, a real 2.5.1 member answered a login right
		// after the admin password was set with 500 "caused: User nacos not found;".
		"nacos.core.auth.caching.enabled": "false",
	}
	if UsesAuthSecret(nc) {
		props["nacos.core.auth.plugin.nacos.token.secret.key"] = "${NACOS_AUTH_TOKEN}"
		props["nacos.core.auth.server.identity.key"] = "${NACOS_AUTH_IDENTITY_KEY}"
		props["nacos.core.auth.server.identity.value"] = "${NACOS_AUTH_IDENTITY_VALUE}"
	}
	if nc.Spec.MajorVersion() < 3 {
		props["server.servlet.contextPath"] = "/nacos"
		props["server.contextPath"] = "/nacos"
		props["server.port"] = fmt.Sprint(PortHTTP)
	} else {
		// 3.x runs one web context per role, each taking server.port from its own file
		// (nacos-server.properties: ${nacos.server.main.port}; nacos-console.properties:
		// ${nacos.console.port}). A server.port here overrides both: measured on real 3.0.3
		// members, the console then binds 8848 too, "Port 8848 is already in use", "Nacos
		// failed to start".
		props["nacos.server.contextPath"] = "/nacos"
		props["nacos.deployment.type"] = "merged"
		props["nacos.console.port"] = fmt.Sprint(PortConsole)
		props["nacos.core.auth.admin.enabled"] = "true"
		props["nacos.core.auth.console.enabled"] = fmt.Sprint(nc.Spec.Auth.Enabled)
	}
	if nc.Spec.Storage.Type == nacosv1alpha1.StorageMySQL && nc.Spec.Storage.MySQL != nil {
		my := nc.Spec.Storage.MySQL
		props["spring.sql.init.platform"] = "mysql"
		props["spring.datasource.platform"] = "mysql"
		props["db.num"] = "1"
		props["db.url.0"] = fmt.Sprintf("jdbc:mysql://%s:%d/%s?%s", my.Host, my.Port, my.Database, my.Params)
		props["db.user.0"] = "${MYSQL_SERVICE_USER}"
		props["db.password.0"] = "${MYSQL_SERVICE_PASSWORD}"
	}
	for k, v := range nc.Spec.Config.Properties {
		props[k] = string(v)
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Rendered by nacos-operator from the NacosCluster spec; edits are overwritten.\n")
	for _, k := range keys {
		b.WriteString(k + "=" + escapeProperty(props[k]) + "\n")
	}
	return b.String()
}

// escapeProperty keeps a value on one line: a newline in a value would inject properties.
func escapeProperty(v string) string {
	return strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r").Replace(v)
}

// ConfigHash is the hash of the inputs that need a restart and are not already in the pod
// template: application.properties. The member list is deliberately not part of it.
func ConfigHash(properties string) string {
	sum := sha256.Sum256([]byte(properties))
	return hex.EncodeToString(sum[:])[:16]
}
