/*
 * Per-job resource control groups.  The parent creates one cgroup per job
 * below its own cgroup, writes the memory, pids and cpu limits, moves the
 * job's first process in, and after the job reads what the kernel recorded
 * (OOM kills, refused forks, peak memory, cpu time) before removing it.
 * Expected load: a handful of small file writes per job, a few hundred jobs
 * a minute at most; nothing here is on a hot path.
 *
 * Notes.
 * - Layout: v2 when our own v2 cgroup has memory, pids and cpu; else v1,
 *   one hierarchy per controller (cpu and cpuacct may be co-mounted), each
 *   under the cgroup /proc/self/cgroup names for that controller; else
 *   none.  Our machines are hybrid: cgroup2 (/sys/fs/cgroup/unified) has
 *   only hugetlb, so v1 is what runs here and in CI.
 * - Everything lives in "<own>/kiln-jobs/<tag><job id>", the tag naming
 *   the process that made it (cgroup_env_reap_stale).  Nothing outside our
 *   own subtree is touched; on v2 this process may move itself into the
 *   leaf "<own>/kiln-daemon" to satisfy the no-internal-process rule.
 * - Memory limits count touched pages only: the 8 GiB PROT_NONE
 *   reservation a wasm worker makes per linear memory is never charged.
 *   Swap is limited too (memsw on v1, memory.swap.max=0 on v2), so a job
 *   over its limit is OOM-killed rather than swapped.
 * - v1 kill reads cgroup.procs and signals each pid through a pidfd, only
 *   if the pid is still listed once pinned, so a reused pid outside the
 *   job is never hit.  Without the freezer a job that forks as fast as it
 *   is killed takes several rounds; pids.max bounds how many.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kiln/cgroup.h"
#include "kiln/error.h"
#include "kiln/util.h"

#define CPU_PERIOD_US	100000
#define KILL_ROUNDS	1000	/* about one second at most, see backoff() */

static const struct {
	const char	*name;
	unsigned	 bit;
} ctrl_names[] = {
	{ "memory",	CGROUP_CTRL_MEMORY },
	{ "pids",	CGROUP_CTRL_PIDS },
	{ "cpu",	CGROUP_CTRL_CPU },
	{ "cpuacct",	CGROUP_CTRL_CPUACCT },
};

static void
why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)why_vfail(why, whylen, 0, fmt, ap);
	va_end(ap);
}

/* Reads a whole file, relative to dirfd, into a fresh NUL-terminated string. */
static int
file_read(int dirfd, const char *name, char **out)
{
	char *buf;
	size_t n = 0, cap = 512;
	ssize_t r;
	int fd, rc;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	buf = xmalloc(cap);
	for (;;) {
		if (cap - n < 2)
			buf = xrealloc(buf, cap *= 2);
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			free(buf);
			close(fd);
			return rc;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* Writes s to a control file in one write(2), as cgroupfs expects. */
static int
file_write(int dirfd, const char *name, const char *s)
{
	size_t len = strlen(s);
	ssize_t r;
	int fd, rc = 0;

	if ((fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	do
		r = write(fd, s, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		rc = -errno;
	else if ((size_t)r != len)
		rc = -EIO;
	close(fd);
	return rc;
}

static int
path_write(const char *dir, const char *name, const char *s)
{
	int dfd, rc;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	rc = file_write(dfd, name, s);
	close(dfd);
	return rc;
}

/* Finds "key N" on a line of buf; 0 and *val, or -ENOENT. */
static int
keyed_get(const char *buf, const char *key, uint64_t *val)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (*p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			*val = strtoull(p + klen + 1, NULL, 10);
			return 0;
		}
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return -ENOENT;
}

static int
keyed_read(int dirfd, const char *name, const char *key, uint64_t *val)
{
	char *buf;
	int rc;

	if ((rc = file_read(dirfd, name, &buf)) < 0)
		return rc;
	rc = keyed_get(buf, key, val);
	free(buf);
	return rc;
}

static int
u64_read(int dirfd, const char *name, uint64_t *val)
{
	char *buf, *end;
	int rc;

	if ((rc = file_read(dirfd, name, &buf)) < 0)
		return rc;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf)
		rc = -EINVAL;
	free(buf);
	return rc;
}

/* Is word one of the separator-delimited tokens of list? */
static int
has_token(const char *list, const char *word, const char *seps)
{
	size_t wlen = strlen(word), n;
	const char *p = list;

	while (*p != '\0') {
		n = strcspn(p, seps);
		if (n == wlen && strncmp(p, word, wlen) == 0)
			return 1;
		p += n;
		if (*p != '\0')
			p++;
	}
	return 0;
}

/*
 * Our own cgroup path for a v1 controller (ctrl != NULL) or for v2
 * (ctrl == NULL), from /proc/self/cgroup.
 */
static int
own_path(const char *self, const char *ctrl, char *out, size_t outlen)
{
	const char *line = self, *c1, *c2, *nl;
	size_t clen, plen;
	char ctrls[256];

	for (; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		if ((c1 = memchr(line, ':', (size_t)(nl - line))) == NULL ||
		    (c2 = memchr(c1 + 1, ':', (size_t)(nl - c1 - 1))) == NULL)
			goto next;
		clen = (size_t)(c2 - c1 - 1);
		if (clen >= sizeof(ctrls))
			goto next;
		memcpy(ctrls, c1 + 1, clen);
		ctrls[clen] = '\0';
		if ((ctrl == NULL && clen == 0 &&
		    strncmp(line, "0:", 2) == 0) ||
		    (ctrl != NULL && has_token(ctrls, ctrl, ","))) {
			plen = (size_t)(nl - c2 - 1);
			if (plen >= outlen)
				return -ENAMETOOLONG;
			memcpy(out, c2 + 1, plen);
			out[plen] = '\0';
			return 0;
		}
 next:
		if (*nl == '\0')
			break;
	}
	return -ENOENT;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char *d = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 4;
		} else
			*d++ = *s++;
	}
	*d = '\0';
}

/*
 * The directory of cgroup own (a path in the hierarchy) through a mount of
 * that hierarchy: a v1 "cgroup" mount carrying ctrl, or the "cgroup2"
 * mount when ctrl is NULL.  The mount's root must be an ancestor of own.
 */
static int
own_dir(const char *minfo, const char *ctrl, const char *own, char *out,
    size_t outlen)
{
	char *copy, *line, *save, *f[5], *sep, *fstype, *super;
	const char *rel;
	size_t rlen;
	int i, rc = -ENOENT;

	copy = xstrdup(minfo);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root mountpoint opts [optional...] - ... */
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		fstype = sep + 3;
		if ((super = strchr(fstype, ' ')) == NULL)
			continue;
		*super++ = '\0';
		/* skip the source */
		if ((super = strchr(super, ' ')) == NULL)
			continue;
		super++;
		if (ctrl == NULL ? strcmp(fstype, "cgroup2") != 0 :
		    strcmp(fstype, "cgroup") != 0 ||
		    !has_token(super, ctrl, ","))
			continue;
		for (i = 0; i < 5; i++)
			if ((f[i] = strsep(&line, " ")) == NULL)
				break;
		if (i < 5)
			continue;
		unescape(f[3]);
		unescape(f[4]);
		rlen = strlen(f[3]);
		if (strcmp(f[3], "/") == 0)
			rel = own;
		else if (strncmp(own, f[3], rlen) == 0 &&
		    (own[rlen] == '/' || own[rlen] == '\0'))
			rel = own + rlen;
		else
			continue;
		if (strcmp(rel, "/") == 0)
			rel = "";
		if ((size_t)snprintf(out, outlen, "%s%s", f[4], rel) >= outlen)
			rc = -ENAMETOOLONG;
		else
			rc = 0;
		break;
	}
	free(copy);
	return rc;
}

static void
desc_build(struct cgroup_env *env)
{
	size_t i, n;

	n = (size_t)snprintf(env->desc, sizeof(env->desc), "%s:",
	    env->mode == CGROUP_MODE_V2 ? "v2" :
	    env->mode == CGROUP_MODE_V1 ? "v1" : "none");
	for (i = 0; i < KILN_ARRAY_LEN(ctrl_names); i++) {
		if ((env->ctrls & ctrl_names[i].bit) == 0 ||
		    n >= sizeof(env->desc))
			continue;
		n += (size_t)snprintf(env->desc + n, sizeof(env->desc) - n,
		    "%s%s", env->desc[n - 1] == ':' ? "" : ",",
		    ctrl_names[i].name);
	}
	if (env->mode == CGROUP_MODE_NONE)
		snprintf(env->desc, sizeof(env->desc), "none");
}

static int
probe_v2(struct cgroup_env *env, const char *self, const char *minfo,
    char *why, size_t whylen)
{
	char own[PATH_MAX], dir[PATH_MAX], leaf[PATH_MAX], *ctl, *path;
	const char *enable = "+memory +pids +cpu";
	int rc;

	if (own_path(self, NULL, own, sizeof(own)) < 0) {
		why_set(why, whylen, "cgroup v2: no 0:: line");
		return -ENOENT;
	}
	if ((rc = own_dir(minfo, NULL, own, dir, sizeof(dir))) < 0) {
		why_set(why, whylen, "cgroup v2: %s not mounted", own);
		return rc;
	}
	path = xasprintf("%s/cgroup.controllers", dir);
	if (file_read(AT_FDCWD, path, &ctl) < 0)
		ctl = xstrdup("");
	free(path);
	if (!has_token(ctl, "memory", " \n") ||
	    !has_token(ctl, "pids", " \n") || !has_token(ctl, "cpu", " \n")) {
		ctl[strcspn(ctl, "\n")] = '\0';
		why_set(why, whylen, "cgroup v2 %s has controllers \"%s\", "
		    "not memory,pids,cpu", own, ctl);
		free(ctl);
		return -ENOTSUP;
	}
	free(ctl);
	if (access(dir, W_OK) < 0) {
		rc = -errno;
		why_set(why, whylen, "cgroup v2 %s not writable", own);
		return rc;
	}
	if ((size_t)snprintf(env->hier[0].path, sizeof(env->hier[0].path),
	    "%s/%s", dir, CGROUP_PARENT_NAME) >= sizeof(env->hier[0].path))
		return -ENAMETOOLONG;
	rc = path_write(dir, "cgroup.subtree_control", enable);
	if (rc == -EBUSY) {
		/* no internal processes: move ourselves into a leaf first */
		if ((size_t)snprintf(leaf, sizeof(leaf), "%s/kiln-daemon",
		    dir) >= sizeof(leaf))
			rc = -ENAMETOOLONG;
		else if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
			rc = -errno;
		else if ((rc = path_write(leaf, "cgroup.procs", "0")) == 0)
			rc = path_write(dir, "cgroup.subtree_control", enable);
	}
	if (rc < 0) {
		why_set(why, whylen, "cgroup v2 %s: cannot enable controllers: "
		    "%s", own, kiln_strerror(rc));
		return rc;
	}
	if (mkdir(env->hier[0].path, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		why_set(why, whylen, "cgroup v2 mkdir %s: %s",
		    env->hier[0].path, kiln_strerror(rc));
		return rc;
	}
	if ((rc = path_write(env->hier[0].path, "cgroup.subtree_control",
	    enable)) < 0) {
		why_set(why, whylen, "cgroup v2 %s: cannot enable controllers: "
		    "%s", env->hier[0].path, kiln_strerror(rc));
		rmdir(env->hier[0].path);
		return rc;
	}
	env->hier[0].ctrls = CGROUP_CTRL_MEMORY | CGROUP_CTRL_PIDS |
	    CGROUP_CTRL_CPU;
	env->ctrls = env->hier[0].ctrls;
	env->nhier = 1;
	env->mode = CGROUP_MODE_V2;
	return 0;
}

static int
probe_v1(struct cgroup_env *env, const char *self, const char *minfo,
    char *why, size_t whylen)
{
	const unsigned need = CGROUP_CTRL_MEMORY | CGROUP_CTRL_PIDS |
	    CGROUP_CTRL_CPU;
	char own[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	unsigned created = 0;
	size_t i;
	int h, rc;

	for (i = 0; i < KILN_ARRAY_LEN(ctrl_names); i++) {
		const char *name = ctrl_names[i].name;

		if (own_path(self, name, own, sizeof(own)) < 0 ||
		    own_dir(minfo, name, own, dir, sizeof(dir)) < 0) {
			if (ctrl_names[i].bit & need) {
				why_set(why, whylen, "cgroup v1: no %s "
				    "hierarchy", name);
				goto fail;
			}
			continue;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    CGROUP_PARENT_NAME) >= sizeof(path))
			goto fail;
		/* co-mounted controllers (cpu,cpuacct) share a directory */
		for (h = 0; h < env->nhier; h++)
			if (strcmp(env->hier[h].path, path) == 0)
				break;
		if (h < env->nhier) {
			env->hier[h].ctrls |= ctrl_names[i].bit;
			continue;
		}
		if (access(dir, W_OK) == 0 && mkdir(path, 0755) == 0)
			created |= 1u << h;
		else if (errno != EEXIST) {
			rc = errno;
			if (ctrl_names[i].bit & need) {
				why_set(why, whylen, "cgroup v1 %s %s: %s",
				    name, own, strerror(rc));
				goto fail;
			}
			continue;
		}
		snprintf(env->hier[h].path, sizeof(env->hier[h].path), "%s",
		    path);
		env->hier[h].ctrls = ctrl_names[i].bit;
		env->nhier++;
	}
	for (h = 0; h < env->nhier; h++)
		env->ctrls |= env->hier[h].ctrls;
	env->mode = CGROUP_MODE_V1;
	return 0;
 fail:
	/* remove only what this probe made: others may be using the rest */
	for (h = 0; h < env->nhier; h++)
		if (created & (1u << h))
			rmdir(env->hier[h].path);
	memset(env, 0, sizeof(*env));
	return -ENOTSUP;
}

int
cgroup_env_probe(struct cgroup_env *env, char *why, size_t whylen)
{
	char *self, *minfo, v2why[256];
	int rc;

	memset(env, 0, sizeof(*env));
	why_set(why, whylen, "%s", "");
	if ((rc = file_read(AT_FDCWD, "/proc/self/cgroup", &self)) < 0)
		return rc;
	if ((rc = file_read(AT_FDCWD, "/proc/self/mountinfo", &minfo)) < 0)
		goto out_self;
	if (probe_v2(env, self, minfo, v2why, sizeof(v2why)) == 0)
		goto out_desc;
	memset(env, 0, sizeof(*env));
	if (probe_v1(env, self, minfo, why, whylen) == 0) {
		why_set(why, whylen, "%s", v2why);
		goto out_desc;
	}
	/* why holds the v1 reason; prefix the v2 one */
	if (why != NULL && whylen > 0) {
		char v1why[256];

		snprintf(v1why, sizeof(v1why), "%s", why);
		why_set(why, whylen, "%s; %s", v2why, v1why);
	}
	memset(env, 0, sizeof(*env));
 out_desc:
	desc_build(env);
	snprintf(env->tag, sizeof(env->tag), "k%d-%llx.", (int)getpid(),
	    (unsigned long long)now_real_ns());
	rc = 0;
	free(minfo);
 out_self:
	free(self);
	return rc;
}

void
cgroup_env_clear(struct cgroup_env *env)
{
	int h;

	for (h = 0; h < env->nhier; h++)
		rmdir(env->hier[h].path);	/* EBUSY: still in use */
	env->nhier = 0;
	env->ctrls = 0;
	env->mode = CGROUP_MODE_NONE;
}

int
cgroup_env_reap_stale(const struct cgroup_env *env)
{
	struct dirent *de;
	char path[PATH_MAX + 300];
	int h, pid, n = 0;
	DIR *d;

	for (h = 0; h < env->nhier; h++) {
		if ((d = opendir(env->hier[h].path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (sscanf(de->d_name, "k%d-", &pid) != 1 || pid <= 0 ||
			    kill(pid, 0) == 0 || errno != ESRCH)
				continue;
			snprintf(path, sizeof(path), "%s/%s",
			    env->hier[h].path, de->d_name);
			if (rmdir(path) == 0)	/* EBUSY: not empty */
				n++;
		}
		closedir(d);
	}
	return n;
}

static int
job_id_valid(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || id[0] == '.')
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (i >= CGROUP_JOB_ID_MAX || !(isalnum((unsigned char)id[i]) ||
		    id[i] == '_' || id[i] == '.' || id[i] == '-'))
			return 0;
	return 1;
}

static int
limits_write(enum cgroup_mode mode, int fd, unsigned ctrls,
    const struct cgroup_limits *lim)
{
	char buf[64];
	int rc;

	if (ctrls & CGROUP_CTRL_MEMORY && lim->mem_bytes != 0) {
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)lim->mem_bytes);
		if (mode == CGROUP_MODE_V2) {
			if ((rc = file_write(fd, "memory.max", buf)) < 0)
				return rc;
			rc = file_write(fd, "memory.swap.max", "0");
		} else {
			if ((rc = file_write(fd, "memory.limit_in_bytes",
			    buf)) < 0)
				return rc;
			rc = file_write(fd, "memory.memsw.limit_in_bytes", buf);
		}
		if (rc < 0 && rc != -ENOENT)	/* no swap accounting */
			return rc;
	}
	if (ctrls & CGROUP_CTRL_PIDS && lim->pids_max != 0) {
		snprintf(buf, sizeof(buf), "%u", lim->pids_max);
		if ((rc = file_write(fd, "pids.max", buf)) < 0)
			return rc;
	}
	if (ctrls & CGROUP_CTRL_CPU && lim->cpu_millis != 0) {
		if (mode == CGROUP_MODE_V2) {
			snprintf(buf, sizeof(buf), "%llu %d",
			    (unsigned long long)lim->cpu_millis *
			    (CPU_PERIOD_US / 1000), CPU_PERIOD_US);
			return file_write(fd, "cpu.max", buf);
		}
		snprintf(buf, sizeof(buf), "%d", CPU_PERIOD_US);
		if ((rc = file_write(fd, "cpu.cfs_period_us", buf)) < 0)
			return rc;
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)lim->cpu_millis *
		    (CPU_PERIOD_US / 1000));
		if ((rc = file_write(fd, "cpu.cfs_quota_us", buf)) < 0)
			return rc;
	}
	return 0;
}

int
cgroup_job_create(const struct cgroup_env *env, const char *job_id,
    const struct cgroup_limits *lim, struct cgroup_job *out)
{
	int h, rc = 0, tries;

	memset(out, 0, sizeof(*out));
	if (env->mode == CGROUP_MODE_NONE || !job_id_valid(job_id))
		return -EINVAL;
	/* the kernel refuses a quota under 1 ms per period */
	if (lim->cpu_millis != 0 && lim->cpu_millis < 10)
		return -EINVAL;
	out->mode = env->mode;
	for (h = 0; h < env->nhier; h++) {
		out->path[h] = xasprintf("%s/%s%s", env->hier[h].path,
		    env->tag, job_id);
		out->ctrls[h] = env->hier[h].ctrls;
		out->fd[h] = -1;
		out->nhier = h + 1;
		/* another process's cgroup_env_clear may remove the parent */
		for (tries = 0; mkdir(out->path[h], 0755) < 0; tries++) {
			rc = -errno;
			if (rc == -ENOENT && tries < 2 &&
			    (mkdir(env->hier[h].path, 0755) == 0 ||
			    errno == EEXIST))
				continue;
			/* not ours (EEXIST: another job's): never rmdir it */
			free(out->path[h]);
			out->path[h] = NULL;
			goto out_undo;
		}
		if ((out->fd[h] = open(out->path[h], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0) {
			rc = -errno;
			goto out_undo;
		}
		if ((rc = limits_write(env->mode, out->fd[h], out->ctrls[h],
		    lim)) < 0)
			goto out_undo;
	}
	return 0;
 out_undo:
	cgroup_job_destroy(out);
	return rc;
}

int
cgroup_job_limits_set(const struct cgroup_job *job,
    const struct cgroup_limits *lim)
{
	int h, rc;

	for (h = 0; h < job->nhier; h++)
		if ((rc = limits_write(job->mode, job->fd[h], job->ctrls[h],
		    lim)) < 0)
			return rc;
	return 0;
}

int
cgroup_job_attach(const struct cgroup_job *job, pid_t pid)
{
	char buf[32];
	int h, rc;

	snprintf(buf, sizeof(buf), "%ld", (long)pid);
	for (h = 0; h < job->nhier; h++)
		if ((rc = file_write(job->fd[h], "cgroup.procs", buf)) < 0)
			return rc;
	return 0;
}

int
cgroup_job_fd(const struct cgroup_job *job)
{
	if (job->mode != CGROUP_MODE_V2 || job->nhier != 1)
		return -EOPNOTSUPP;
	return job->fd[0];
}

int
cgroup_job_outcome(const struct cgroup_job *job, struct cgroup_outcome *o)
{
	int v2 = job->mode == CGROUP_MODE_V2, h, fd;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	for (h = 0; h < job->nhier; h++) {
		fd = job->fd[h];
		if (job->ctrls[h] & CGROUP_CTRL_MEMORY) {
			if (keyed_read(fd, v2 ? "memory.events" :
			    "memory.oom_control", "oom_kill", &v) == 0) {
				o->oom_kills = v;
				o->have |= CGROUP_HAVE_OOM;
			}
			if (u64_read(fd, v2 ? "memory.peak" :
			    "memory.max_usage_in_bytes", &v) == 0) {
				o->mem_peak_bytes = v;
				o->have |= CGROUP_HAVE_MEM_PEAK;
			}
		}
		if (job->ctrls[h] & CGROUP_CTRL_PIDS &&
		    keyed_read(fd, "pids.events", "max", &v) == 0) {
			o->pids_max_hits = v;
			o->have |= CGROUP_HAVE_PIDS;
		}
		if (v2 && job->ctrls[h] & CGROUP_CTRL_CPU &&
		    keyed_read(fd, "cpu.stat", "usage_usec", &v) == 0) {
			o->cpu_usage_ns = v * 1000;
			o->have |= CGROUP_HAVE_CPU;
		}
		if (!v2 && job->ctrls[h] & CGROUP_CTRL_CPUACCT &&
		    u64_read(fd, "cpuacct.usage", &v) == 0) {
			o->cpu_usage_ns = v;
			o->have |= CGROUP_HAVE_CPU;
		}
	}
	return 0;
}

/* The pids listed in buf, one per line, into a fresh array; the count. */
static size_t
pids_parse(const char *buf, pid_t **out)
{
	const char *p;
	char *end;
	size_t n = 0, cap = 16;
	pid_t *v;
	long pid;

	v = xcalloc(cap, sizeof(*v));
	for (p = buf; *p != '\0'; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid <= 0)
			continue;
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = (pid_t)pid;
	}
	*out = v;
	return n;
}

static int
pid_listed(const pid_t *v, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return 1;
	return 0;
}

/*
 * SIGKILLs every process listed in cgroup.procs; 1 if any was listed, 0 if
 * none, or -errno.  A pid is pinned with a pidfd and signalled only if it
 * is still listed afterwards: a pid that exited and was reused by a process
 * outside the job between the read and the kill is never hit.
 */
static int
procs_kill(int fd)
{
	pid_t *first, *again;
	size_t n1, n2, i;
	char *buf;
	int *pfd, rc;

	if ((rc = file_read(fd, "cgroup.procs", &buf)) < 0)
		return rc;
	n1 = pids_parse(buf, &first);
	free(buf);
	if (n1 == 0) {
		free(first);
		return 0;
	}
	pfd = xcalloc(n1, sizeof(*pfd));
	for (i = 0; i < n1; i++)
		pfd[i] = pidfd_open(first[i], 0);
	if ((rc = file_read(fd, "cgroup.procs", &buf)) < 0)
		goto out_close;
	n2 = pids_parse(buf, &again);
	free(buf);
	for (i = 0; i < n1; i++)
		if (pfd[i] >= 0 && pid_listed(again, n2, first[i]))
			pidfd_send_signal(pfd[i], SIGKILL, NULL, 0);
	free(again);
	rc = 1;
 out_close:
	for (i = 0; i < n1; i++)
		if (pfd[i] >= 0)
			close(pfd[i]);
	free(pfd);
	free(first);
	return rc;
}

/* Yields for the first rounds, then sleeps a millisecond per round. */
static void
backoff(int round)
{
	struct timespec ts = { 0, 1000000 };

	if (round < 20)
		sched_yield();
	else
		nanosleep(&ts, NULL);
}

int
cgroup_job_kill(const struct cgroup_job *job)
{
	int h, rc, any, round;

	if (job->mode == CGROUP_MODE_V2 && job->nhier > 0)
		/* ENOENT before 5.14: the loop below does it */
		file_write(job->fd[0], "cgroup.kill", "1");
	for (round = 0; round < KILL_ROUNDS; round++) {
		any = 0;
		for (h = 0; h < job->nhier; h++) {
			if ((rc = procs_kill(job->fd[h])) < 0)
				return rc;
			any |= rc;
		}
		if (!any)
			return 0;
		backoff(round);
	}
	return -EBUSY;
}

int
cgroup_job_destroy(struct cgroup_job *job)
{
	int h, rc = 0, err, round, killed = 0;

	for (h = 0; h < job->nhier; h++) {
		if (job->path[h] == NULL)
			continue;
		for (round = 0; round < KILL_ROUNDS; round++) {
			if (rmdir(job->path[h]) == 0 || errno == ENOENT)
				break;
			err = -errno;
			if (err != -EBUSY) {
				if (rc == 0)
					rc = err;
				break;
			}
			if (!killed) {
				killed = 1;
				cgroup_job_kill(job);
			} else
				backoff(round);
		}
		if (round == KILL_ROUNDS && rc == 0)
			rc = -EBUSY;
	}
	for (h = 0; h < job->nhier; h++) {
		if (job->fd[h] >= 0)
			close(job->fd[h]);
		free(job->path[h]);
		job->fd[h] = -1;
		job->path[h] = NULL;
	}
	job->nhier = 0;
	return rc;
}
