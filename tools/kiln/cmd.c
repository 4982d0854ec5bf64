/*
 * The kiln commands.  Each parses its own options, makes its requests
 * through client.c and prints either human text or, with --json, the
 * server's documents one per line.  Waiting polls GET /v1/jobs/{id} with a
 * delay of 5 ms doubling up to 200 ms, and draws a progress line only when
 * stderr is a terminal.  Text that came from the server is printed with
 * control characters masked.  Every cmd_* function returns the process
 * exit status.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "kiln.h"

#define CMD_FILE_MAX		((size_t)1 << 30)	/* module or input */
#define CMD_POLL_FIRST_MS	5
#define CMD_POLL_MAX_MS		200
#define CMD_PROBLEM_UNKNOWN_MODULE "urn:kiln:problem:unknown_module"

enum {
	OPT_INPUT = CLI_OPT_CMD,
	OPT_TIMEOUT,
	OPT_CPU,
	OPT_PROFILE,
	OPT_ARG,
	OPT_ENV,
	OPT_IDEM_KEY,
	OPT_WAIT,
	OPT_WAIT_TIMEOUT,
	OPT_STATE,
	OPT_LIMIT,
	OPT_ALL,
};

static const char *const terminal_states[] = {
	"SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "REJECTED",
	"DEAD_LETTER",
};

/*
 * Turns a transport failure (rc < 0) or an error answer into a message and
 * an exit status; EXIT_OK for a 2xx answer.
 */
static int
cmd_check(struct cli *cli, int rc, const struct client_resp *resp)
{
	struct client_problem p;
	const char *why;

	if (rc < 0) {
		why = client_strerror(cli->client);
		fprintf(stderr, "kiln: %s: ", cli->url);
		cli_put_safe(stderr, *why != '\0' ? why : kiln_strerror(rc));
		fputc('\n', stderr);
		return EXIT_TRANSPORT;
	}
	if (client_resp_is_ok(resp))
		return EXIT_OK;
	if (client_problem_parse(resp, &p) < 0 || p.title == NULL) {
		fprintf(stderr, "kiln: HTTP status %ld", resp->status);
		if (p.type != NULL)
			fprintf(stderr, " (%s)", p.type);
		fputc('\n', stderr);
		client_problem_clear(&p);
		return EXIT_SERVER;
	}
	fputs("kiln: ", stderr);
	cli_put_safe(stderr, p.title);
	if (p.detail != NULL && *p.detail != '\0') {
		fputs(": ", stderr);
		cli_put_safe(stderr, p.detail);
	}
	if (p.type != NULL) {
		fputs(" (", stderr);
		cli_put_safe(stderr, p.type);
		fputc(')', stderr);
	}
	fputc('\n', stderr);
	client_problem_clear(&p);
	return EXIT_SERVER;
}

/* 1 when resp is a problem document of the given type. */
static int
cmd_problem_is(const struct client_resp *resp, const char *type)
{
	struct client_problem p;
	int is;

	if (client_problem_parse(resp, &p) < 0)
		return 0;
	is = p.type != NULL && strcmp(p.type, type) == 0;
	client_problem_clear(&p);
	return is;
}

/* Parses a 2xx body as a JSON object into *doc (the caller's reference). */
static int
cmd_parse(const struct client_resp *resp, json_t **doc)
{
	*doc = json_loadb((const char *)resp->body, resp->len, 0, NULL);
	if (json_is_object(*doc))
		return EXIT_OK;
	json_decref(*doc);
	*doc = NULL;
	fputs("kiln: the server's answer is not a JSON object\n", stderr);
	return EXIT_SERVER;
}

/*
 * Prints the server's document on one line: verbatim when it is on one
 * line already, else re-encoded compactly.
 */
static void
cmd_json_print(const struct client_resp *resp, json_t *doc)
{
	const char *body = (const char *)resp->body;
	size_t n = resp->len;
	char *s;

	while (n > 0 && isspace((unsigned char)body[n - 1]))
		n--;
	if (memchr(body, '\n', n) == NULL && memchr(body, '\r', n) == NULL) {
		fwrite(body, 1, n, stdout);
		fputc('\n', stdout);
		return;
	}
	if ((s = json_dumps(doc, JSON_COMPACT)) == NULL)
		log_fatalx("out of memory");
	puts(s);
	free(s);
}

static const char *
job_str(json_t *job, const char *key)
{
	return json_string_value(json_object_get(job, key));
}

static int
job_is_terminal(const char *state)
{
	size_t i;

	for (i = 0; i < KILN_ARRAY_LEN(terminal_states); i++)
		if (strcmp(state, terminal_states[i]) == 0)
			return 1;
	return 0;
}

/* EXIT_OK for a SUCCEEDED job, EXIT_JOB for any other. */
static int
job_exit_status(json_t *job)
{
	const char *state = job_str(job, "state");

	return state != NULL && strcmp(state, "SUCCEEDED") == 0 ?
	    EXIT_OK : EXIT_JOB;
}

/* "<id> <STATE>[ reason=<r>][ exit_code=<n>]" */
static void
job_state_print(FILE *f, json_t *job)
{
	const char *id = job_str(job, "id"), *state = job_str(job, "state");
	const char *reason = job_str(job, "reason");
	json_t *code = json_object_get(job, "exit_code");

	cli_put_safe(f, id != NULL ? id : "?");
	fputc(' ', f);
	cli_put_safe(f, state != NULL ? state : "?");
	if (reason != NULL && *reason != '\0') {
		fputs(" reason=", f);
		cli_put_safe(f, reason);
	}
	if (json_is_integer(code))
		fprintf(f, " exit_code=%" JSON_INTEGER_FORMAT,
		    json_integer_value(code));
	fputc('\n', f);
}

/* An isolation report for humans: "L4" or "L2 (degraded: a; b)". */
static char *
isolation_text(json_t *iso)
{
	json_t *level = json_object_get(iso, "level"), *d, *why;
	char *s, *t;
	size_t i;

	s = xstrdup(json_is_string(level) ? json_string_value(level) : "?");
	d = json_object_get(iso, "degraded");
	json_array_foreach(d, i, why) {
		if (!json_is_string(why))
			continue;
		t = xasprintf("%s%s%s", s, i == 0 ? " (degraded: " : "; ",
		    json_string_value(why));
		free(s);
		s = t;
	}
	if (json_array_size(d) > 0) {
		t = xasprintf("%s)", s);
		free(s);
		s = t;
	}
	return s;
}

/* A field of the job as text: "-" for null, missing or empty. */
static char *
job_field_text(json_t *job, const char *key)
{
	json_t *v = json_object_get(job, key);

	if (json_is_string(v) && *json_string_value(v) != '\0')
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (json_is_object(v))
		return isolation_text(v);
	return xstrdup("-");
}

static double
elapsed_s(int64_t since_ns)
{
	return (double)(now_mono_ns() - since_ns) / 1e9;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Polls job id until it is terminal, giving up after timeout_s seconds
 * (negative: never).  On EXIT_OK, *resp holds the final answer and *jobp
 * its document, both the caller's; on anything else both are released and
 * the reason has been printed.
 */
static int
job_wait(struct cli *cli, const char *id, double timeout_s,
    struct client_resp *resp, json_t **jobp)
{
	struct client *c = cli_client(cli);
	int64_t start = now_mono_ns(), deadline = INT64_MAX, left_ms;
	int64_t delay_ms = CMD_POLL_FIRST_MS;
	int progress = isatty(STDERR_FILENO), shown = 0;
	const char *state;
	json_t *job = NULL;
	int rc, ex;

	if (timeout_s >= 0)
		deadline = start + (int64_t)(timeout_s * 1e9);
	for (;;) {
		if (timeout_s >= 0) {
			/* Keep each poll inside the deadline, within reason. */
			left_ms = (deadline - now_mono_ns()) / 1000000;
			client_timeout_set(c, left_ms > 100 ? left_ms : 100);
		}
		rc = client_job_get(c, id, resp);
		if (shown && (rc < 0 || !client_resp_is_ok(resp))) {
			fputs("\r\033[K", stderr);
			shown = 0;
		}
		if (rc == -ETIMEDOUT && now_mono_ns() >= deadline) {
			fputs("kiln: ", stderr);
			cli_put_safe(stderr, id);
			fprintf(stderr, ": wait timed out after %.1fs\n",
			    elapsed_s(start));
			ex = EXIT_TIMEOUT;
			goto out;
		}
		if ((ex = cmd_check(cli, rc, resp)) != EXIT_OK)
			goto out;
		if ((ex = cmd_parse(resp, &job)) != EXIT_OK)
			goto out;
		if ((state = job_str(job, "state")) == NULL) {
			fputs("kiln: the server's job has no state\n", stderr);
			ex = EXIT_SERVER;
			goto out;
		}
		if (job_is_terminal(state)) {
			*jobp = job;
			job = NULL;
			ex = EXIT_OK;
			goto out;
		}
		if (progress) {
			fputc('\r', stderr);
			cli_put_safe(stderr, id);
			fputc(' ', stderr);
			cli_put_safe(stderr, state);
			fprintf(stderr, " %.1fs\033[K", elapsed_s(start));
			fflush(stderr);
			shown = 1;
		}
		if (now_mono_ns() >= deadline) {
			if (shown)
				fputs("\r\033[K", stderr);
			shown = 0;
			fputs("kiln: ", stderr);
			cli_put_safe(stderr, id);
			fprintf(stderr, ": wait timed out after %.1fs "
			    "(state ", elapsed_s(start));
			cli_put_safe(stderr, state);
			fputs(")\n", stderr);
			ex = EXIT_TIMEOUT;
			goto out;
		}
		json_decref(job);
		job = NULL;
		client_resp_clear(resp);
		left_ms = (deadline - now_mono_ns()) / 1000000;
		sleep_ms(delay_ms < left_ms ? delay_ms : left_ms);
		delay_ms = delay_ms * 2 < CMD_POLL_MAX_MS ?
		    delay_ms * 2 : CMD_POLL_MAX_MS;
	}
 out:
	if (shown)
		fputs("\r\033[K", stderr);
	client_timeout_set(c, 0);
	json_decref(job);
	if (ex != EXIT_OK)
		client_resp_clear(resp);
	return ex;
}

/* Reads a local file for the command, exiting 2 when that fails. */
static void
cmd_file_read(struct cli *cli, const char *path, uint8_t **buf,
    size_t *len)
{
	int rc;

	if ((rc = cli_file_read(path, CMD_FILE_MAX, buf, len)) < 0) {
		fprintf(stderr, "kiln: %s: ", cli->cmd);
		cli_put_safe(stderr, strcmp(path, "-") == 0 ? "stdin" : path);
		fprintf(stderr, ": %s\n", kiln_strerror(rc));
		exit(EXIT_USAGE);
	}
}

/* Parses a non-negative decimal number of seconds, exiting 2 if bad. */
static double
cmd_seconds(struct cli *cli, const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < 0)
		cli_usage_error(cli, "%s needs a number of seconds", opt);
	return v;
}

/* Parses a non-negative decimal integer, exiting 2 if bad. */
static long long
cmd_integer(struct cli *cli, const char *opt, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end != '\0' || errno != 0)
		cli_usage_error(cli, "%s needs a non-negative integer", opt);
	return v;
}

/* The single operand of commands that take a job id. */
static const char *
cmd_one_operand(struct cli *cli, int argc, char **argv,
    const struct option *longopts, const char *what)
{
	const char *operand = NULL;
	char *arg;
	int ch;

	while ((ch = cli_opt_next(cli, argc, argv, longopts, &arg)) != -1) {
		if (ch != 1)
			continue;
		if (operand != NULL)
			cli_usage_error(cli, "unexpected argument '%s'", arg);
		operand = arg;
	}
	if (operand == NULL || *operand == '\0')
		cli_usage_error(cli, "missing %s", what);
	return operand;
}

/*
 * Pushes a module; on EXIT_OK *digest is the server's digest, the
 * caller's to free.  With print set, prints the answer as the command's.
 */
static int
module_push(struct cli *cli, const uint8_t *wasm, size_t len, int print,
    char **digest)
{
	struct client_resp resp;
	json_t *doc = NULL;
	const char *d;
	int rc, ex;

	rc = client_module_push(cli_client(cli), wasm, len, &resp);
	if ((ex = cmd_check(cli, rc, &resp)) != EXIT_OK)
		goto out;
	if ((ex = cmd_parse(&resp, &doc)) != EXIT_OK)
		goto out;
	if ((d = job_str(doc, "digest")) == NULL) {
		fputs("kiln: the server's answer has no digest\n", stderr);
		ex = EXIT_SERVER;
		goto out;
	}
	*digest = xstrdup(d);
	if (print && cli->json)
		cmd_json_print(&resp, doc);
	else if (print) {
		cli_put_safe(stdout, d);
		fputc('\n', stdout);
	}
 out:
	json_decref(doc);
	client_resp_clear(&resp);
	return ex;
}

int
cmd_module(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS };
	const char *operands[3] = { NULL, NULL, NULL };
	char *arg, *digest = NULL;
	uint8_t *wasm;
	size_t len;
	int ch, n = 0, ex;

	while ((ch = cli_opt_next(cli, argc, argv, longopts, &arg)) != -1) {
		if (ch != 1)
			continue;
		if (n == 2)
			cli_usage_error(cli, "unexpected argument '%s'", arg);
		operands[n++] = arg;
	}
	if (operands[0] == NULL || strcmp(operands[0], "push") != 0)
		cli_usage_error(cli, "expected 'module push FILE'");
	if (operands[1] == NULL)
		cli_usage_error(cli, "missing the module file");
	cmd_file_read(cli, operands[1], &wasm, &len);
	ex = module_push(cli, wasm, len, 1, &digest);
	free(digest);
	free(wasm);
	return ex;
}

/* 1 when module names a digest rather than a file. */
static int
module_is_digest(const char *module)
{
	return strncmp(module, "sha256:", 7) == 0;
}

/* "sha256:<hex>" of the bytes, the caller's to free. */
static char *
module_digest(const uint8_t *wasm, size_t len)
{
	uint8_t sum[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(sum) + 1];

	crypto_hash_sha256(sum, wasm, len);
	hex_encode(sum, sizeof(sum), hex);
	return xasprintf("sha256:%s", hex);
}

/* Base64 (original alphabet, padded) of the bytes, the caller's to free. */
static char *
base64_encode(const uint8_t *buf, size_t len)
{
	size_t n;
	char *out;

	if (len > (SIZE_MAX / 4) * 3 - 3)
		log_fatalx("input too large");
	n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	out = xmalloc(n);
	sodium_bin2base64(out, n, buf, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

/* A JSON string, exiting 2 when s is not UTF-8 (jansson refuses it). */
static json_t *
cmd_json_string(struct cli *cli, const char *opt, const char *s)
{
	json_t *v = json_string(s);

	if (v == NULL)
		cli_usage_error(cli, "%s: not valid UTF-8", opt);
	return v;
}

/* What "kiln submit" was asked to do. */
struct submit_args {
	const char	*module;	/* digest or .wasm path */
	const char	*input;		/* --input, or NULL */
	const char	*idem_key;	/* --idempotency-key, or NULL */
	int		 wait;		/* --wait */
	double		 wait_timeout_s; /* --wait-timeout, or -1 */
	json_t		*req;		/* the request document, less module */
};

static void
submit_args_parse(struct cli *cli, int argc, char **argv,
    struct submit_args *sa)
{
	static const struct option longopts[] = {
		{ "input",		required_argument, NULL, OPT_INPUT },
		{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
		{ "cpu",		required_argument, NULL, OPT_CPU },
		{ "profile",		required_argument, NULL, OPT_PROFILE },
		{ "arg",		required_argument, NULL, OPT_ARG },
		{ "env",		required_argument, NULL, OPT_ENV },
		{ "idempotency-key",	required_argument, NULL, OPT_IDEM_KEY },
		{ "wait",		no_argument,	   NULL, OPT_WAIT },
		{ "wait-timeout",	required_argument, NULL,
		    OPT_WAIT_TIMEOUT },
		CLI_GLOBAL_LONGOPTS
	};
	json_t *args = json_array(), *env = json_object();
	char *arg, *eq;
	int ch;

	memset(sa, 0, sizeof(*sa));
	sa->wait_timeout_s = -1;
	sa->req = json_object();
	if (sa->req == NULL || args == NULL || env == NULL)
		log_fatalx("out of memory");
	while ((ch = cli_opt_next(cli, argc, argv, longopts, &arg)) != -1) {
		switch (ch) {
		case 1:
			if (sa->module != NULL)
				cli_usage_error(cli, "unexpected argument "
				    "'%s'", arg);
			sa->module = arg;
			break;
		case OPT_INPUT:
			sa->input = arg;
			break;
		case OPT_TIMEOUT:
			json_object_set_new(sa->req, "timeout_ms",
			    json_integer(cmd_integer(cli, "--timeout", arg)));
			break;
		case OPT_CPU:
			json_object_set_new(sa->req, "cpu_ms",
			    json_integer(cmd_integer(cli, "--cpu", arg)));
			break;
		case OPT_PROFILE:
			json_object_set_new(sa->req, "profile",
			    cmd_json_string(cli, "--profile", arg));
			break;
		case OPT_ARG:
			json_array_append_new(args,
			    cmd_json_string(cli, "--arg", arg));
			break;
		case OPT_ENV:
			if ((eq = strchr(arg, '=')) == NULL || eq == arg)
				cli_usage_error(cli, "--env needs K=V");
			*eq = '\0';
			if (json_object_set_new(env, arg,
			    cmd_json_string(cli, "--env", eq + 1)) < 0)
				cli_usage_error(cli, "--env: not valid UTF-8");
			*eq = '=';
			break;
		case OPT_IDEM_KEY:
			if (!client_idem_key_is_valid(arg))
				cli_usage_error(cli, "--idempotency-key needs "
				    "1 to 128 printable ASCII characters");
			sa->idem_key = arg;
			break;
		case OPT_WAIT:
			sa->wait = 1;
			break;
		case OPT_WAIT_TIMEOUT:
			sa->wait_timeout_s = cmd_seconds(cli, "--wait-timeout",
			    arg);
			break;
		}
	}
	if (sa->module == NULL || *sa->module == '\0')
		cli_usage_error(cli, "missing MODULE (sha256:<hex> or a "
		    "module file)");
	if (json_array_size(args) > 0)
		json_object_set(sa->req, "args", args);
	if (json_object_size(env) > 0)
		json_object_set(sa->req, "env", env);
	json_decref(args);
	json_decref(env);
}

/*
 * POSTs the job; when the module came from a file and the server does not
 * know it, pushes it and submits again.
 */
static int
submit_post(struct cli *cli, struct submit_args *sa, const uint8_t *wasm,
    size_t len, struct client_resp *resp)
{
	const char *digest = job_str(sa->req, "module");
	char *body, *pushed = NULL;
	int rc, ex;

	if ((body = json_dumps(sa->req, JSON_COMPACT)) == NULL)
		log_fatalx("out of memory");
	rc = client_job_submit(cli_client(cli), body, sa->idem_key, resp);
	if (rc == 0 && wasm != NULL && resp->status == 422 &&
	    cmd_problem_is(resp, CMD_PROBLEM_UNKNOWN_MODULE)) {
		client_resp_clear(resp);
		if ((ex = module_push(cli, wasm, len, 0, &pushed)) != EXIT_OK)
			goto out;
		if (strcmp(pushed, digest) != 0) {
			fprintf(stderr, "kiln: the server registered the module "
			    "as %s, not %s\n", pushed, digest);
			ex = EXIT_SERVER;
			goto out;
		}
		rc = client_job_submit(cli_client(cli), body, sa->idem_key,
		    resp);
	}
	ex = cmd_check(cli, rc, resp);
	if (ex != EXIT_OK)
		client_resp_clear(resp);
 out:
	free(pushed);
	free(body);
	return ex;
}

/* After submit --wait or wait: prints what the finished job calls for. */
static int
job_finish_print(struct cli *cli, const struct client_resp *resp,
    json_t *job, int with_output)
{
	struct client_resp out;
	int rc, ex;

	if (cli->json) {
		cmd_json_print(resp, job);
		return job_exit_status(job);
	}
	if (!with_output) {
		job_state_print(stdout, job);
		return job_exit_status(job);
	}
	rc = client_job_output(cli_client(cli), job_str(job, "id"), &out);
	if ((ex = cmd_check(cli, rc, &out)) != EXIT_OK) {
		client_resp_clear(&out);
		return ex;
	}
	fwrite(out.body, 1, out.len, stdout);
	fflush(stdout);
	client_resp_clear(&out);
	job_state_print(stderr, job);
	return job_exit_status(job);
}

int
cmd_submit(struct cli *cli, int argc, char **argv)
{
	struct submit_args sa;
	struct client_resp resp;
	uint8_t *wasm = NULL, *input;
	json_t *job = NULL;
	char *id = NULL, *b64, *digest;
	size_t wasm_len = 0, input_len;
	int ex;

	submit_args_parse(cli, argc, argv, &sa);
	if (module_is_digest(sa.module))
		json_object_set_new(sa.req, "module",
		    cmd_json_string(cli, "MODULE", sa.module));
	else {
		cmd_file_read(cli, sa.module, &wasm, &wasm_len);
		digest = module_digest(wasm, wasm_len);
		json_object_set_new(sa.req, "module", json_string(digest));
		free(digest);
	}
	if (sa.input != NULL) {
		cmd_file_read(cli, sa.input, &input, &input_len);
		b64 = base64_encode(input, input_len);
		json_object_set_new(sa.req, "input", json_string(b64));
		free(b64);
		free(input);
	}

	if ((ex = submit_post(cli, &sa, wasm, wasm_len, &resp)) != EXIT_OK)
		goto out;
	ex = cmd_parse(&resp, &job);
	if (ex == EXIT_OK && job_str(job, "id") == NULL) {
		fputs("kiln: the server's job has no id\n", stderr);
		ex = EXIT_SERVER;
	}
	if (ex != EXIT_OK)
		goto out_resp;
	if (!sa.wait) {
		if (cli->json)
			cmd_json_print(&resp, job);
		else {
			cli_put_safe(stdout, job_str(job, "id"));
			fputc('\n', stdout);
		}
		goto out_resp;
	}

	id = xstrdup(job_str(job, "id"));
	json_decref(job);
	job = NULL;
	client_resp_clear(&resp);
	if ((ex = job_wait(cli, id, sa.wait_timeout_s, &resp, &job)) !=
	    EXIT_OK)
		goto out;
	ex = job_finish_print(cli, &resp, job, 1);
 out_resp:
	client_resp_clear(&resp);
 out:
	json_decref(job);
	json_decref(sa.req);
	free(id);
	free(wasm);
	return ex;
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS };
	static const struct {
		const char	*label;		/* shown to humans */
		const char	*key;		/* in the job object */
	} fields[] = {
		{ "id", "id" },			{ "tenant", "tenant" },
		{ "state", "state" },		{ "reason", "reason" },
		{ "exit code", "exit_code" },	{ "module", "module" },
		{ "profile", "profile" },	{ "slot", "slot" },
		{ "attempts", "attempts" },	{ "created", "created_at" },
		{ "started", "started_at" },	{ "finished", "finished_at" },
		{ "output bytes", "output_bytes" },
		{ "log bytes", "log_bytes" },	{ "isolation", "isolation" },
	};
	struct client_resp resp;
	const char *id;
	json_t *job = NULL;
	char *text;
	size_t i;
	int rc, ex;

	id = cmd_one_operand(cli, argc, argv, longopts, "the job ID");
	rc = client_job_get(cli_client(cli), id, &resp);
	if ((ex = cmd_check(cli, rc, &resp)) != EXIT_OK)
		goto out;
	if ((ex = cmd_parse(&resp, &job)) != EXIT_OK)
		goto out;
	if (cli->json) {
		cmd_json_print(&resp, job);
		goto out;
	}
	for (i = 0; i < KILN_ARRAY_LEN(fields); i++) {
		text = job_field_text(job, fields[i].key);
		printf("%s:%*s", fields[i].label,
		    (int)(sizeof("output bytes") - strlen(fields[i].label)),
		    "");
		cli_put_safe(stdout, text);
		fputc('\n', stdout);
		free(text);
	}
 out:
	json_decref(job);
	client_resp_clear(&resp);
	return ex;
}

/* Prints the jobs as a table with columns as wide as their cells. */
static void
list_table_print(json_t *jobs)
{
	static const char *const heads[] = {
		"ID", "STATE", "EXIT", "REASON", "CREATED",
	};
	static const char *const keys[] = {
		"id", "state", "exit_code", "reason", "created_at",
	};
	enum { NCOL = 5 };
	size_t width[NCOL], njobs = json_array_size(jobs), i, k, n;
	char **cells;

	cells = xcalloc(njobs * NCOL + 1, sizeof(*cells));
	for (k = 0; k < NCOL; k++)
		width[k] = strlen(heads[k]);
	for (i = 0; i < njobs; i++)
		for (k = 0; k < NCOL; k++) {
			cells[i * NCOL + k] = job_field_text(
			    json_array_get(jobs, i), keys[k]);
			n = strlen(cells[i * NCOL + k]);
			if (n > width[k])
				width[k] = n;
		}
	for (k = 0; k < NCOL; k++)
		printf("%-*s%s", k + 1 < NCOL ? (int)width[k] : 0, heads[k],
		    k + 1 < NCOL ? "  " : "\n");
	for (i = 0; i < njobs; i++)
		for (k = 0; k < NCOL; k++) {
			cli_put_safe(stdout, cells[i * NCOL + k]);
			n = strlen(cells[i * NCOL + k]);
			if (k + 1 < NCOL)
				printf("%*s", (int)(width[k] - n + 2), "");
			else
				fputc('\n', stdout);
			free(cells[i * NCOL + k]);
		}
	free(cells);
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state",	required_argument,	NULL, OPT_STATE },
		{ "limit",	required_argument,	NULL, OPT_LIMIT },
		{ "all",	no_argument,		NULL, OPT_ALL },
		CLI_GLOBAL_LONGOPTS
	};
	struct client_resp resp = { 0 };
	const char *state = NULL, *next;
	char *arg, *token = NULL;
	json_t *all, *page = NULL, *jobs;
	long limit = 0;
	int ch, follow = 0, rc, ex;

	while ((ch = cli_opt_next(cli, argc, argv, longopts, &arg)) != -1) {
		switch (ch) {
		case 1:
			cli_usage_error(cli, "unexpected argument '%s'", arg);
		case OPT_STATE:
			state = arg;
			break;
		case OPT_LIMIT:
			limit = (long)cmd_integer(cli, "--limit", arg);
			if (limit == 0)
				cli_usage_error(cli, "--limit must be "
				    "positive");
			break;
		case OPT_ALL:
			follow = 1;
			break;
		}
	}

	if ((all = json_array()) == NULL)
		log_fatalx("out of memory");
	for (;;) {
		rc = client_job_list(cli_client(cli), state, limit, token,
		    &resp);
		if ((ex = cmd_check(cli, rc, &resp)) != EXIT_OK)
			goto out;
		if ((ex = cmd_parse(&resp, &page)) != EXIT_OK)
			goto out;
		if (!json_is_array(jobs = json_object_get(page, "jobs"))) {
			fputs("kiln: the server's page has no jobs\n", stderr);
			ex = EXIT_SERVER;
			goto out;
		}
		if (cli->json)
			cmd_json_print(&resp, page);
		else
			json_array_extend(all, jobs);
		next = json_string_value(json_object_get(page,
		    "next_page_token"));
		if (!follow || next == NULL || *next == '\0')
			break;
		if (token != NULL && strcmp(token, next) == 0) {
			fputs("kiln: the server repeated a page token\n",
			    stderr);
			ex = EXIT_SERVER;
			goto out;
		}
		free(token);
		token = xstrdup(next);
		json_decref(page);
		page = NULL;
		client_resp_clear(&resp);
	}
	if (!cli->json)
		list_table_print(all);
 out:
	client_resp_clear(&resp);
	json_decref(page);
	json_decref(all);
	free(token);
	return ex;
}

int
cmd_wait(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
		CLI_GLOBAL_LONGOPTS
	};
	struct client_resp resp;
	const char *id = NULL;
	double timeout_s = -1;
	json_t *job = NULL;
	char *arg;
	int ch, ex;

	while ((ch = cli_opt_next(cli, argc, argv, longopts, &arg)) != -1) {
		if (ch == OPT_TIMEOUT)
			timeout_s = cmd_seconds(cli, "--timeout", arg);
		else if (ch == 1 && id != NULL)
			cli_usage_error(cli, "unexpected argument '%s'", arg);
		else if (ch == 1)
			id = arg;
	}
	if (id == NULL || *id == '\0')
		cli_usage_error(cli, "missing the job ID");
	if ((ex = job_wait(cli, id, timeout_s, &resp, &job)) != EXIT_OK)
		return ex;
	ex = job_finish_print(cli, &resp, job, 0);
	json_decref(job);
	client_resp_clear(&resp);
	return ex;
}

/* output and log: the raw bytes, whatever they are. */
static int
cmd_bytes(struct cli *cli, int argc, char **argv,
    int (*get)(struct client *, const char *, struct client_resp *))
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS };
	struct client_resp resp;
	const char *id;
	int rc, ex;

	id = cmd_one_operand(cli, argc, argv, longopts, "the job ID");
	rc = get(cli_client(cli), id, &resp);
	if ((ex = cmd_check(cli, rc, &resp)) == EXIT_OK)
		fwrite(resp.body, 1, resp.len, stdout);
	client_resp_clear(&resp);
	return ex;
}

int
cmd_output(struct cli *cli, int argc, char **argv)
{
	return cmd_bytes(cli, argc, argv, client_job_output);
}

int
cmd_log(struct cli *cli, int argc, char **argv)
{
	return cmd_bytes(cli, argc, argv, client_job_log);
}

int
cmd_events(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS };
	struct client_resp resp;
	json_t *doc = NULL, *ev;
	const char *id;
	char *text;
	size_t i;
	int rc, ex;

	id = cmd_one_operand(cli, argc, argv, longopts, "the job ID");
	rc = client_job_events(cli_client(cli), id, &resp);
	if ((ex = cmd_check(cli, rc, &resp)) != EXIT_OK ||
	    (ex = cmd_parse(&resp, &doc)) != EXIT_OK)
		goto out;
	if (cli->json) {
		cmd_json_print(&resp, doc);
		goto out;
	}
	json_array_foreach(json_object_get(doc, "events"), i, ev) {
		/* AT  STATE  REASON, as in the journal */
		text = job_field_text(ev, "at");
		cli_put_safe(stdout, text);
		free(text);
		text = job_field_text(ev, "state");
		printf("  %-11s  ", text);
		free(text);
		text = job_field_text(ev, "reason");
		cli_put_safe(stdout, text);
		free(text);
		fputc('\n', stdout);
	}
 out:
	json_decref(doc);
	client_resp_clear(&resp);
	return ex;
}

int
cmd_cancel(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS };
	struct client_resp resp;
	const char *id;
	json_t *job = NULL;
	int rc, ex;

	id = cmd_one_operand(cli, argc, argv, longopts, "the job ID");
	rc = client_job_cancel(cli_client(cli), id, &resp);
	if ((ex = cmd_check(cli, rc, &resp)) == EXIT_OK &&
	    (ex = cmd_parse(&resp, &job)) == EXIT_OK) {
		if (cli->json)
			cmd_json_print(&resp, job);
		else
			job_state_print(stdout, job);
	}
	json_decref(job);
	client_resp_clear(&resp);
	return ex;
}
