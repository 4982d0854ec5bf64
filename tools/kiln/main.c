/*
 * The kiln command-line client: global options, the command table, the
 * usage text, and the small local helpers the commands share (reading a
 * file or standard input, printing text that came from the server).
 * Global options may stand before or after the command word; each command
 * parses its own options with cli_opt_next(), which takes the global ones
 * too.  HTTP lives in client.c and the commands in cmd.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "kiln.h"

#define CLI_DEFAULT_URL		"http://127.0.0.1:7878"
#define CLI_TOKEN_FILE_MAX	((size_t)64 << 10)

static const char usage_text[] =
"usage: kiln [options] command [arguments]\n"
"\n"
"commands:\n"
"  module push FILE             register a module (.wasm, or an ELF\n"
"                               executable: a native module); prints its\n"
"                               digest\n"
"  submit MODULE [options]      submit a job; prints its id.  MODULE is a\n"
"                               sha256:<hex> digest or a module file,\n"
"                               pushed only if the server lacks it\n"
"      --input FILE|-           the job's stdin (- reads standard input)\n"
"      --timeout MS             the job's time limit in milliseconds\n"
"      --cpu MS                 the job's CPU time limit (whole seconds)\n"
"      --profile P              resource profile (gpu)\n"
"      --arg A                  append an argument (repeatable)\n"
"      --env K=V                set an environment variable (repeatable)\n"
"      --idempotency-key K      resubmitting with K returns the same job\n"
"      --wait                   wait for the job, print its output\n"
"      --wait-timeout SECONDS   stop waiting after SECONDS (exit 5)\n"
"  status ID                    show a job\n"
"  list [--state S] [--limit N] [--all]\n"
"                               list jobs, oldest first; --all follows\n"
"                               every page\n"
"  wait ID [--timeout SECONDS]  wait until the job has finished\n"
"  output ID                    write the job's stdout bytes\n"
"  log ID                       write the job's stderr bytes\n"
"  events ID                    show the job's lifecycle, oldest first\n"
"  cancel ID                    cancel a job; prints its new state\n"
"\n"
"options (before or after the command):\n"
"  --url URL          API base URL (default $KILN_URL, else\n"
"                     " CLI_DEFAULT_URL ")\n"
"  --token TOKEN      bearer token (default $KILN_TOKEN)\n"
"  --token-file FILE  read the bearer token from FILE\n"
"  --json             print the server's JSON, one document per line\n"
"  -h, --help         show this help\n"
"  --version          show the version\n"
"\n"
"exit status:\n"
"  0  success; for submit --wait and wait: the job SUCCEEDED\n"
"  1  the job finished in another state (FAILED, TIMED_OUT, ...)\n"
"  2  usage error, or a local file that cannot be read or written\n"
"  3  the server answered with an error\n"
"  4  no answer from the server (connect or transfer error)\n"
"  5  the wait timed out\n";

static const struct option cli_global_longopts[] = {
	CLI_GLOBAL_LONGOPTS
};

static const struct cli_cmd {
	const char	*name;		/* the command word */
	int		(*run)(struct cli *, int, char **);
} cli_cmds[] = {
	{ "module",	cmd_module },
	{ "submit",	cmd_submit },
	{ "status",	cmd_status },
	{ "list",	cmd_list },
	{ "wait",	cmd_wait },
	{ "output",	cmd_output },
	{ "log",	cmd_log },
	{ "events",	cmd_events },
	{ "cancel",	cmd_cancel },
};

/* Set once "--" ends the options of the command being parsed. */
static int cli_opts_ended;

void
cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("kiln: ", stderr);
	if (cli->cmd != NULL)
		fprintf(stderr, "%s: ", cli->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kiln --help'.\n", stderr);
	exit(EXIT_USAGE);
}

/* Names the bad option without its "=value", which may be a secret. */
static void
cli_opt_error(struct cli *cli, char **argv, const char *what)
{
	const char *bad = argv[optind - 1];
	int n;

	if (optopt > 0 && optopt < CLI_OPT_URL)	/* a short option */
		cli_usage_error(cli, "%s -%c", what, optopt);
	n = (int)strcspn(bad, "=");
	cli_usage_error(cli, "%s %.*s", what, n, bad);
}

static int
cli_getopt(struct cli *cli, int argc, char **argv, const char *optstring,
    const struct option *longopts, char **arg)
{
	int ch;

	for (;;) {
		if (cli_opts_ended) {
			if (optind >= argc)
				return -1;
			*arg = argv[optind++];
			return 1;
		}
		ch = getopt_long(argc, argv, optstring, longopts, NULL);
		switch (ch) {
		case -1:
			cli_opts_ended = 1;
			if (optstring[0] == '+')
				return -1;
			continue;
		case 1:
			*arg = optarg;
			return 1;
		case CLI_OPT_URL:
			cli->url = optarg;
			break;
		case CLI_OPT_TOKEN:
			cli->token = optarg;
			break;
		case CLI_OPT_TOKEN_FILE:
			cli->token_file = optarg;
			break;
		case CLI_OPT_JSON:
			cli->json = 1;
			break;
		case CLI_OPT_HELP:
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case CLI_OPT_VERSION:
			printf("kiln %s\n", KILN_VERSION);
			exit(EXIT_OK);
		case ':':
			cli_opt_error(cli, argv, "missing value for");
			break;
		case '?':
			cli_opt_error(cli, argv, "unknown option");
			break;
		default:
			*arg = optarg;
			return ch;
		}
	}
}

int
cli_opt_next(struct cli *cli, int argc, char **argv,
    const struct option *longopts, char **arg)
{
	return cli_getopt(cli, argc, argv, "-:h", longopts, arg);
}

int
cli_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd, rc;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	for (;;) {
		if (cap - n < 2) {
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out_free;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = -EFBIG;
			goto out_free;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	rc = 0;
	goto out_close;
 out_free:
	free(buf);
 out_close:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

void
cli_put_safe(FILE *f, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		putc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

/* The token from --token-file; the caller wipes and frees it. */
static char *
cli_token_read(struct cli *cli)
{
	uint8_t *buf;
	size_t len;
	int rc;

	rc = cli_file_read(cli->token_file, CLI_TOKEN_FILE_MAX, &buf, &len);
	if (rc < 0) {
		fprintf(stderr, "kiln: %s: %s\n", cli->token_file,
		    kiln_strerror(rc));
		exit(EXIT_USAGE);
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	return (char *)buf;
}

struct client *
cli_client(struct cli *cli)
{
	const char *env, *token = NULL;
	char *file_token = NULL;
	int rc;

	if (cli->client != NULL)
		return cli->client;
	if (cli->url == NULL) {
		env = getenv("KILN_URL");
		cli->url = env != NULL && *env != '\0' ? env : CLI_DEFAULT_URL;
	}
	if (cli->token != NULL && cli->token_file != NULL)
		cli_usage_error(cli, "--token and --token-file exclude each "
		    "other");
	if (cli->token_file != NULL)
		token = file_token = cli_token_read(cli);
	else if (cli->token != NULL)
		token = cli->token;
	else if ((env = getenv("KILN_TOKEN")) != NULL && *env != '\0')
		token = env;

	rc = client_new(&cli->client, cli->url, token);
	if (file_token != NULL) {
		sodium_memzero(file_token, strlen(file_token));
		free(file_token);
	}
	if (rc == -EINVAL) {
		fputs("kiln: the token is empty or holds characters a bearer "
		    "token may not have\n", stderr);
		exit(EXIT_USAGE);
	}
	if (rc < 0) {
		fprintf(stderr, "kiln: cannot set up HTTP: %s\n", kiln_strerror(rc));
		exit(EXIT_TRANSPORT);
	}
	return cli->client;
}

int
main(int argc, char *argv[])
{
	struct cli cli = { 0 };
	const struct cli_cmd *cmd = NULL;
	char *arg;
	size_t i;
	int rc;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fputs("kiln: cannot initialise libsodium or libcurl\n", stderr);
		return EXIT_TRANSPORT;
	}

	/* Global options up to the command word. */
	opterr = 0;
	while (cli_getopt(&cli, argc, argv, "+:h", cli_global_longopts,
	    &arg) != -1)
		;
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < KILN_ARRAY_LEN(cli_cmds); i++)
		if (strcmp(argv[optind], cli_cmds[i].name) == 0)
			cmd = &cli_cmds[i];
	if (cmd == NULL)
		cli_usage_error(&cli, "unknown command '%s'", argv[optind]);

	/* The command parses the rest, argv[0] being its own name. */
	cli.cmd = cmd->name;
	argc -= optind;
	argv += optind;
	optind = 0;
	cli_opts_ended = 0;
	rc = cmd->run(&cli, argc, argv);

	client_free(cli.client);
	curl_global_cleanup();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kiln: standard output: %s\n",
		    strerror(errno));
		if (rc == EXIT_OK)
			rc = EXIT_USAGE;
	}
	return rc;
}
