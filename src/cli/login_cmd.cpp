// `hako login` and `hako logout`: registry credentials checked against the registry
// and kept in a docker-style config.json ($DOCKER_CONFIG or ~/.docker), as docker does.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "engine/build/build_flags.h"
#include "engine/image/registry.h"
#include "src/cli/context.h"
#include "src/cli/output.h"

namespace hako::cli {

namespace {

// "https://index.docker.io/v1/", "docker.io" and "" all mean Docker Hub.
std::string registry_name(const std::string& server) {
    std::string s = server;
    for (const char* scheme : {"https://", "http://"})
        if (s.rfind(scheme, 0) == 0) s = s.substr(std::string(scheme).size());
    while (!s.empty() && s.back() == '/') s.pop_back();
    if (s.empty() || s == "index.docker.io/v1" || s == "index.docker.io" || s == "registry-1.docker.io") return "docker.io";
    return s;
}

void fail(Context& ctx, Error error) { ctx.exit_status = report(Result<void>(std::move(error))); }

}  // namespace

void add_login_commands(CLI::App& app, Context& ctx) {
    struct LoginFlags {
        std::string server, username, password;
        bool password_stdin = false;
        std::vector<std::string> insecure;
    };
    auto f = std::make_shared<LoginFlags>();
    CLI::App* login = app.add_subcommand("login", "Log in to a registry");
    login->add_option("-u,--username", f->username, "Username");
    login->add_option("-p,--password", f->password, "Password");
    login->add_flag("--password-stdin", f->password_stdin, "Take the password from stdin");
    login->add_option("--insecure-registry", f->insecure, "Use plain HTTP for this registry (host:port)")->expected(1);
    login->add_option("SERVER", f->server, "Registry (default: Docker Hub)");
    login->callback([&ctx, f] {
        if (f->password_stdin) {
            if (!f->password.empty()) return fail(ctx, Error::usage("--password and --password-stdin are mutually exclusive"));
            std::getline(std::cin, f->password);
            while (!f->password.empty() && (f->password.back() == '\n' || f->password.back() == '\r')) f->password.pop_back();
        }
        if (f->username.empty() || f->password.empty())
            return fail(ctx, Error::usage("login needs --username and a password (--password or --password-stdin)"));
        std::string registry = registry_name(f->server);
        image::RegistryCredentials credentials{f->username, f->password};
        auto checked = image::verify_login(registry, credentials, f->insecure);
        if (!checked.ok()) return fail(ctx, std::move(checked).error());
        auto stored = image::store_credentials(build::docker_config_path(ctx.environment), registry, credentials);
        if (!stored.ok()) return fail(ctx, std::move(stored).error());
        std::cout << "Login Succeeded" << std::endl;
        ctx.exit_status = 0;
    });

    auto server = std::make_shared<std::string>();
    CLI::App* logout = app.add_subcommand("logout", "Log out from a registry");
    logout->add_option("SERVER", *server, "Registry (default: Docker Hub)");
    logout->callback([&ctx, server] {
        std::string registry = registry_name(*server);
        auto removed = image::remove_credentials(build::docker_config_path(ctx.environment), registry);
        if (!removed.ok()) return fail(ctx, std::move(removed).error());
        if (*removed) std::cout << "Removing login credentials for " << image::credentials_key(registry) << std::endl;
        else std::cout << "Not logged in to " << image::credentials_key(registry) << std::endl;
        ctx.exit_status = 0;
    });
}

}  // namespace hako::cli
