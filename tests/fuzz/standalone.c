/*
 * standalone: a main for a fuzz target built without libFuzzer. Each
 * argument is a file, or a folder whose files (recursively) are each one
 * input; every input goes once through LLVMFuzzerTestOneInput, in a
 * buffer of exactly its size (ASan sees a read past it), its name on
 * stderr first. A crash is the failure; otherwise it prints how many
 * inputs it ran and exits 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define STANDALONE_INPUT_MAX	((size_t)64 * 1024 * 1024)

static unsigned long ran;

static int
run_file(const char *path)
{
	unsigned char *data;
	size_t len = 0, got;
	FILE *fp;
	struct stat sb;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &sb) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	if ((size_t)sb.st_size > STANDALONE_INPUT_MAX) {
		fprintf(stderr, "%s: larger than %zu bytes\n", path,
		    STANDALONE_INPUT_MAX);
		fclose(fp);
		return -1;
	}
	/*
	 * Exactly the input's size, as libFuzzer gives it, so that ASan
	 * sees a read one byte past it. malloc(0) is not NULL in glibc nor
	 * under ASan.
	 */
	if ((data = malloc((size_t)sb.st_size)) == NULL && sb.st_size > 0) {
		fclose(fp);
		return -1;
	}
	while (len < (size_t)sb.st_size &&
	    (got = fread(data + len, 1, (size_t)sb.st_size - len, fp)) > 0)
		len += got;
	fclose(fp);
	if (len != (size_t)sb.st_size) {
		fprintf(stderr, "%s: changed while read\n", path);
		free(data);
		return -1;
	}
	/* As libFuzzer does: the input a sanitizer's report is about. */
	fprintf(stderr, "Running: %s\n", path);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	ran++;
	return 0;
}

static int
run_path(const char *path)
{
	struct dirent *de;
	struct stat sb;
	char sub[4096];
	DIR *d;
	int rc = 0, n;

	if (stat(path, &sb) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode))
		return S_ISREG(sb.st_mode) ? run_file(path) : 0;
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub)) {
			fprintf(stderr, "%s/%s: path too long\n", path,
			    de->d_name);
			rc = -1;
			continue;
		}
		if (run_path(sub) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		if (run_path(argv[i]) < 0)
			rc = 1;
	printf("%lu inputs\n", ran);
	return rc;
}
