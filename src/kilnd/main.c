/*
 * kilnd's entry point: parses the command line and becomes the process it
 * names.  The parent (default) loads the configuration; one of the
 * children the parent re-executes (`-P api|core|launcher`) reads no file
 * and takes its configuration from the parent instead.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "kiln/config.h"
#include "kiln/proc.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

/* The children the parent re-executes, by their -P role. */
static const struct {
	const char *role;
	enum msg_peer self;
	int (*main)(struct config *);
} roles[] = {
	{ "api", MSG_PEER_API, api_proc_main },
	{ "core", MSG_PEER_CORE, core_proc_main },
	{ "launcher", MSG_PEER_LAUNCHER, launcher_proc_main },
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kilnd [--config FILE] [--state-dir DIR] [--listen HOST:PORT]"
	    " [--debug]\n"
	    "       kilnd --check-config FILE\n"
	    "       kilnd --probe [--config FILE]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "probe", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = NULL, *check_path = NULL, *state_dir = NULL;
	const char *listen = NULL, *role = NULL;
	static struct config conf;
	struct parent_opts opts_parent;
	char *child_argv[3] = { NULL, NULL, NULL };
	char why[512];
	int ch, debug = 0, probe = 0;

	while ((ch = getopt_long(argc, argv, "P:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 'C': check_path = optarg; break;
		case 's': state_dir = optarg; break;
		case 'l': listen = optarg; break;
		case 'd': debug = 1; break;
		case 'P': role = optarg; break;
		case 'p': probe = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(role ? role : "kilnd", debug);
	if (role != NULL) {
		char name[16];
		size_t i;

		for (i = 0; i < KILN_ARRAY_LEN(roles); i++)
			if (strcmp(role, roles[i].role) == 0)
				break;
		if (i == KILN_ARRAY_LEN(roles))
			log_fatalx("unknown process role %s", role);
		snprintf(name, sizeof(name), "kilnd-%s", role);
		prctl(PR_SET_NAME, name);
		if (proc_config_recv(PROC_FD_PARENT, roles[i].self, &conf) < 0)
			log_fatalx("no configuration from the parent");
		return roles[i].main(&conf);
	}

	config_defaults(&conf);
	if (check_path != NULL) {
		if (config_load(&conf, check_path, why, sizeof(why)) < 0) {
			fprintf(stderr, "kilnd: %s\n", why);
			return 1;
		}
		printf("%s: ok (tenants: %d, GPUs: %d, listen %s:%u)\n",
		    check_path, conf.ntenants, conf.ngpus, conf.listen_host,
		    conf.listen_port);
		return 0;
	}
	if (config_path != NULL &&
	    config_load(&conf, config_path, why, sizeof(why)) < 0)
		log_fatalx("%s", why);
	if (config_options_apply(&conf, state_dir, listen, why,
	    sizeof(why)) < 0)
		log_fatalx("%s", why);
	if (probe) {
		uid_t uid;
		gid_t gid;

		/* the sandbox a job would get here, layer by layer;
		 * it needs only the user, so no state is created */
		if (proc_user_ids(conf.user, &uid, &gid) < 0)
			log_fatalx("no such user '%s'", conf.user);
		return sandbox_probe(stdout, uid, gid) < 0;
	}
	if (config_path == NULL &&
	    config_default_tenant(&conf, why, sizeof(why)) < 0)
		log_fatalx("%s", why);

	child_argv[0] = argv[0];
	child_argv[1] = debug ? "--debug" : NULL;
	opts_parent.config_path = config_path;
	opts_parent.state_dir = state_dir;
	opts_parent.listen = listen;
	opts_parent.child_argv = child_argv;
	return parent_main(&conf, &opts_parent);
}
