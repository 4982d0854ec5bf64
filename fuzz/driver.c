/*
 * A replay driver for the fuzz targets, so that every build (gcc, no
 * libFuzzer) runs each target over its committed corpus as a test:
 * `fuzz_<target> FILE|DIR...` feeds every file to LLVMFuzzerTestOneInput.
 * Real fuzzing links the same target with clang's -fsanitize=fuzzer
 * instead (scripts/fuzz.sh).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return 1;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (buf == NULL || n != st.st_size) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	int i, rc = 0, count = 0;
	DIR *d;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((d = opendir(argv[i])) == NULL)
				return 1;
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i],
				    de->d_name);
				rc |= run_file(path);
				count++;
			}
			closedir(d);
		} else {
			rc |= run_file(argv[i]);
			count++;
		}
	}
	printf("%d inputs replayed\n", count);
	return rc || count == 0;
}
