// SPDX-License-Identifier: MIT
/*
 * phyr-egl-test: Mesa imports phyr_vgem buffers.
 *
 * A compositor-style client: it opens a phyr_vgem device's render node
 * itself and hands the fd to libphyrbuf, creates an image buffer (width,
 * height, DRM format, stride, modifier LINEAR), exports it as a dma-buf and
 * imports that into EGL on GBM (EGL_EXT_image_dma_buf_import, with the
 * metadata the buffer carries).  Then:
 *
 *   render: a GLES2 shader draws a known pattern into the image (an FBO on a
 *           texture of the EGLImage); every pixel is read back through
 *           libphyrbuf's mapping of the buffer and compared;
 *   sample: libphyrbuf's mapping fills the buffer with another pattern; a
 *           shader samples the EGLImage into a plain texture, glReadPixels
 *           reads it, every pixel is compared.
 *
 * GBM needs the device's primary node: bookworm's Mesa 22.3 has no
 * phyr_vgem_dri.so and falls back to kms_swrast + llvmpipe, which maps
 * every image with DRM_IOCTL_MODE_MAP_DUMB on the GBM device's file (a
 * primary-node ioctl).  The expected pixels come from the GL and DRM
 * conventions, not from this code's renderer: texel row 0 is the first row
 * in memory, an FBO fragment at window y writes texel row y, XRGB8888 is a
 * little-endian 32-bit word 0xXXRRGGBB, and a unorm8 channel of k/255 is k.
 *
 *   phyr-egl-test --list          the cases
 *   phyr-egl-test CASE            run one: exit 0 passed, 1 failed, 77 skipped
 *   phyr-egl-test foreign         what Mesa does with a buffer of another
 *                                 phyr_vgem device (in a child process; not a
 *                                 case of the suite: Mesa 22.3 crashes on it)
 *   phyr-egl-test external        sample a buffer handed over by
 *                                 "phyrbuf alloc --width W --height H
 *                                 --format XRGB8888 -- phyr-egl-test external"
 *                                 ($PHYRBUF_DMABUF_FD and the image in
 *                                 $PHYRBUF_*): its pixels must be alloc's
 *                                 pattern
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <drm.h>
#include <drm_fourcc.h>
#include <drm_mode.h>
#include <gbm.h>

#include "phyrbuf.h"
#include "phyr-test.h"

#define SKIP	77

static PFNEGLCREATEIMAGEKHRPROC create_image;
static PFNEGLDESTROYIMAGEKHRPROC destroy_image;
static PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture;

struct gl {
	int gbm_fd;
	struct gbm_device *gbm;
	EGLDisplay dpy;
	EGLContext ctx;
	bool modifiers;		/* EGL_EXT_image_dma_buf_import_modifiers */
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("phyr-egl-test: FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return 1;
}

static bool has_ext(const char *list, const char *ext)
{
	size_t n = strlen(ext);
	const char *p = list;

	while (p && (p = strstr(p, ext))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* EGL on GBM on @primary, a GLES2 context current without a surface. */
static int gl_init(struct gl *gl, const char *primary)
{
	static const EGLint ctx_attribs[] = { EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE };
	const char *exts;
	EGLint major, minor;

	memset(gl, 0, sizeof(*gl));
	gl->gbm_fd = open(primary, O_RDWR | O_CLOEXEC);
	if (gl->gbm_fd < 0)
		return fail("opening %s for GBM: %s", primary, strerror(errno));
	gl->gbm = gbm_create_device(gl->gbm_fd);
	if (!gl->gbm)
		return fail("gbm_create_device(%s) failed", primary);
	printf("GBM backend: %s on %s\n", gbm_device_get_backend_name(gl->gbm), primary);
	gl->dpy = eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR, gl->gbm, NULL);
	if (gl->dpy == EGL_NO_DISPLAY)
		return fail("eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR) failed");
	if (!eglInitialize(gl->dpy, &major, &minor))
		return fail("eglInitialize: %#x", eglGetError());
	exts = eglQueryString(gl->dpy, EGL_EXTENSIONS);
	printf("EGL %d.%d, %s\n", major, minor, eglQueryString(gl->dpy, EGL_VENDOR));
	if (!has_ext(exts, "EGL_EXT_image_dma_buf_import"))
		return fail("no EGL_EXT_image_dma_buf_import");
	if (!has_ext(exts, "EGL_KHR_surfaceless_context") ||
	    !has_ext(exts, "EGL_KHR_no_config_context"))
		return fail("no surfaceless, config-less contexts");
	gl->modifiers = has_ext(exts, "EGL_EXT_image_dma_buf_import_modifiers");
	create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	image_target_texture = (PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)
		eglGetProcAddress("glEGLImageTargetTexture2DOES");
	if (!create_image || !destroy_image || !image_target_texture)
		return fail("no eglCreateImageKHR/glEGLImageTargetTexture2DOES");
	if (!eglBindAPI(EGL_OPENGL_ES_API))
		return fail("eglBindAPI");
	gl->ctx = eglCreateContext(gl->dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, ctx_attribs);
	if (gl->ctx == EGL_NO_CONTEXT)
		return fail("eglCreateContext: %#x", eglGetError());
	if (!eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, gl->ctx))
		return fail("eglMakeCurrent: %#x", eglGetError());
	printf("GL: %s, %s; modifiers extension %s\n", glGetString(GL_RENDERER),
	       glGetString(GL_VERSION), gl->modifiers ? "present" : "absent");
	if (!has_ext((const char *)glGetString(GL_EXTENSIONS), "GL_OES_EGL_image"))
		return fail("no GL_OES_EGL_image");
	return 0;
}

static void gl_fini(struct gl *gl)
{
	if (gl->dpy != EGL_NO_DISPLAY && gl->dpy) {
		eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		if (gl->ctx != EGL_NO_CONTEXT && gl->ctx)
			eglDestroyContext(gl->dpy, gl->ctx);
		eglTerminate(gl->dpy);
	}
	if (gl->gbm)
		gbm_device_destroy(gl->gbm);
	if (gl->gbm_fd > 0)
		close(gl->gbm_fd);
}

/* The EGLImage of a dma-buf, with the image's metadata. */
static EGLImageKHR import_image(struct gl *gl, int dmabuf, const struct phyrbuf_bo_info *info)
{
	EGLint attribs[32], n = 0;
	EGLImageKHR img;

	attribs[n++] = EGL_WIDTH;
	attribs[n++] = info->width;
	attribs[n++] = EGL_HEIGHT;
	attribs[n++] = info->height;
	attribs[n++] = EGL_LINUX_DRM_FOURCC_EXT;
	attribs[n++] = info->format;
	attribs[n++] = EGL_DMA_BUF_PLANE0_FD_EXT;
	attribs[n++] = dmabuf;
	attribs[n++] = EGL_DMA_BUF_PLANE0_OFFSET_EXT;
	attribs[n++] = 0;
	attribs[n++] = EGL_DMA_BUF_PLANE0_PITCH_EXT;
	attribs[n++] = info->stride;
	if (gl->modifiers) {
		attribs[n++] = EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT;
		attribs[n++] = (EGLint)(info->modifier & 0xffffffff);
		attribs[n++] = EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT;
		attribs[n++] = (EGLint)(info->modifier >> 32);
	}
	attribs[n++] = EGL_NONE;
	img = create_image(gl->dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, attribs);
	if (img == EGL_NO_IMAGE_KHR)
		fail("eglCreateImageKHR(EGL_LINUX_DMA_BUF_EXT): %#x", eglGetError());
	return img;
}

static GLuint shader(GLenum type, const char *src)
{
	GLuint s = glCreateShader(type);
	GLint ok = 0;
	char log[512];

	glShaderSource(s, 1, &src, NULL);
	glCompileShader(s);
	glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		glGetShaderInfoLog(s, sizeof(log), NULL, log);
		fail("shader: %s", log);
		return 0;
	}
	return s;
}

static const char vs_src[] =
	"attribute vec2 pos;\n"
	"void main() { gl_Position = vec4(pos, 0.0, 1.0); }\n";

/* the rendered pattern: channels of k/255 from the pixel's integer position */
static const char render_fs[] =
	"precision highp float;\n"
	"void main() {\n"
	"	vec2 p = floor(gl_FragCoord.xy);\n"
	"	gl_FragColor = vec4(mod(p.x, 256.0) / 255.0, mod(p.y, 256.0) / 255.0,\n"
	"			    mod(p.x + 2.0 * p.y, 256.0) / 255.0, 1.0);\n"
	"}\n";

static const char sample_fs[] =
	"precision highp float;\n"
	"uniform sampler2D tex;\n"
	"uniform vec2 size;\n"
	"void main() { gl_FragColor = texture2D(tex, gl_FragCoord.xy / size); }\n";

static uint32_t rendered(uint32_t x, uint32_t y)
{
	return (x & 255) << 16 | (y & 255) << 8 | ((x + 2 * y) & 255);
}

static uint32_t sampled(uint32_t x, uint32_t y)
{
	return ((x * 3 + y) & 255) << 16 | ((x ^ y) & 255) << 8 | ((255 - x) & 255);
}

/* Draw a full-viewport quad with @fs into the bound framebuffer. */
static int draw(const char *fs, GLuint tex, uint32_t w, uint32_t h)
{
	static const GLfloat quad[] = { -1, -1, 1, -1, -1, 1, 1, 1 };
	GLuint vs = shader(GL_VERTEX_SHADER, vs_src), f = shader(GL_FRAGMENT_SHADER, fs);
	GLuint prog;
	GLint ok = 0;

	if (!vs || !f)
		return 1;
	prog = glCreateProgram();
	glAttachShader(prog, vs);
	glAttachShader(prog, f);
	glBindAttribLocation(prog, 0, "pos");
	glLinkProgram(prog);
	glGetProgramiv(prog, GL_LINK_STATUS, &ok);
	if (!ok)
		return fail("program does not link");
	glUseProgram(prog);
	if (tex) {
		glActiveTexture(GL_TEXTURE0);
		glBindTexture(GL_TEXTURE_2D, tex);
		glUniform1i(glGetUniformLocation(prog, "tex"), 0);
		glUniform2f(glGetUniformLocation(prog, "size"), (GLfloat)w, (GLfloat)h);
	}
	glViewport(0, 0, w, h);
	glDisable(GL_BLEND);
	glDisable(GL_DITHER);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, quad);
	glEnableVertexAttribArray(0);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	glFinish();
	glDeleteProgram(prog);
	glDeleteShader(vs);
	glDeleteShader(f);
	return glGetError() == GL_NO_ERROR ? 0 : fail("GL error %#x", glGetError());
}

static GLuint image_texture(EGLImageKHR img)
{
	GLuint tex;

	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	image_target_texture(GL_TEXTURE_2D, (GLeglImageOES)img);
	return tex;
}

static int fbo_on(GLuint tex, GLuint *fbo)
{
	GLenum st;

	glGenFramebuffers(1, fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, *fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
	st = glCheckFramebufferStatus(GL_FRAMEBUFFER);
	return st == GL_FRAMEBUFFER_COMPLETE ? 0 : fail("framebuffer incomplete: %#x", st);
}

/* Render into the image, check every pixel through libphyrbuf's mapping. */
static int render_check(struct phyrbuf_bo *bo, const struct phyrbuf_bo_info *info, GLuint tex)
{
	uint32_t x, y, bad = 0;
	const uint32_t *px;
	GLuint fbo;
	void *p;
	int ret;

	if (fbo_on(tex, &fbo) || draw(render_fs, 0, info->width, info->height))
		return 1;
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glDeleteFramebuffers(1, &fbo);

	ret = phyrbuf_bo_begin_cpu_access(bo, PHYRBUF_ACCESS_READ);
	if (!ret)
		ret = phyrbuf_bo_map(bo, 0, info->size, PHYRBUF_MAP_READ, &p);
	if (ret)
		return fail("mapping the buffer: %s", strerror(-ret));
	px = p;
	for (y = 0; y < info->height; y++) {
		for (x = 0; x < info->width; x++) {
			uint32_t got = px[y * (info->stride / 4) + x] & 0xffffff;

			if (got != rendered(x, y) && !bad++)
				fail("rendered pixel (%u,%u) is %06x in memory, expected %06x",
				     x, y, got, rendered(x, y));
		}
	}
	phyrbuf_bo_unmap(bo, p, info->size);
	phyrbuf_bo_end_cpu_access(bo, PHYRBUF_ACCESS_READ);
	if (bad)
		return fail("%u of %u rendered pixels wrong", bad, info->width * info->height);
	printf("render: all %u pixels the shader drew are in the buffer (%ux%u, stride %u)\n",
	       info->width * info->height, info->width, info->height, info->stride);
	return 0;
}

/*
 * Sample the image (filled by @expect through the mapping, or already holding
 * it) into a plain texture and read it back.
 */
static int sample_check(const struct phyrbuf_bo_info *info, GLuint tex,
			uint32_t (*expect)(uint32_t, uint32_t, void *), void *data)
{
	uint32_t w = info->width, h = info->height, x, y, bad = 0;
	GLuint target, fbo;
	uint8_t *rgba;

	glGenTextures(1, &target);
	glBindTexture(GL_TEXTURE_2D, target);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	if (fbo_on(target, &fbo) || draw(sample_fs, tex, w, h))
		return 1;
	rgba = malloc((size_t)w * h * 4);
	if (!rgba)
		return fail("out of memory");
	glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			const uint8_t *c = &rgba[((size_t)y * w + x) * 4];
			uint32_t got = (uint32_t)c[0] << 16 | c[1] << 8 | c[2];
			uint32_t want = expect(x, y, data);

			if ((got != want || c[3] != 255) && !bad++)
				fail("sampled pixel (%u,%u) is %06x alpha %u, expected %06x "
				     "alpha 255", x, y, got, c[3], want);
		}
	}
	free(rgba);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glDeleteFramebuffers(1, &fbo);
	glDeleteTextures(1, &target);
	if (bad)
		return fail("%u of %u sampled pixels wrong", bad, w * h);
	printf("sample: all %u pixels sampled from the buffer are what its mapping holds\n",
	       w * h);
	return 0;
}

static uint32_t expect_sampled(uint32_t x, uint32_t y, void *data)
{
	(void)data;
	return sampled(x, y);
}

/* Fill the buffer with sampled() through libphyrbuf; the X byte is noise. */
static int fill_sampled(struct phyrbuf_bo *bo, const struct phyrbuf_bo_info *info)
{
	uint32_t *px, x, y;
	void *p;
	int ret;

	ret = phyrbuf_bo_begin_cpu_access(bo, PHYRBUF_ACCESS_WRITE);
	if (!ret)
		ret = phyrbuf_bo_mmap(bo, &p);
	if (ret)
		return fail("mapping the buffer: %s", strerror(-ret));
	px = p;
	for (y = 0; y < info->height; y++)
		for (x = 0; x < info->width; x++)
			px[y * (info->stride / 4) + x] = (uint32_t)((x * 7) & 0xff) << 24 |
							 sampled(x, y);
	phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_end_cpu_access(bo, PHYRBUF_ACCESS_WRITE);
	return 0;
}

/* The first device on @bus ("faux" or "pci"), its @nth there. */
static int find_device(const char *bus, int nth, struct phyrbuf_dev_info *desc)
{
	int nr = phyrbuf_device_count(), i;

	for (i = 0; i < nr; i++)
		if (!phyrbuf_device_describe(i, desc) && !strcmp(desc->bus, bus) && !nth--)
			return i;
	return -1;
}

struct image_case {
	const char *name;
	const char *bus;
	enum phyrbuf_placement placement;
	uint32_t width, height, stride;
	const char *what;
};

static const struct image_case cases[] = {
	{ "render-node-256-system", "faux", PHYRBUF_PLACEMENT_SYSTEM, 256, 256, 0,
	  "the compositor's 256x256 XRGB8888 buffer, from its own render-node fd" },
	{ "ivshmem-system", "pci", PHYRBUF_PLACEMENT_SYSTEM, 200, 120, 1024,
	  "system memory of a device with device memory, a padded stride" },
	{ "ivshmem-device", "pci", PHYRBUF_PLACEMENT_DEVICE, 200, 120, 1024,
	  "device memory (the BAR, no struct page), a padded stride" },
};

static int run_case(const struct image_case *c)
{
	struct phyrbuf_image img = {
		.width = c->width, .height = c->height, .format = DRM_FORMAT_XRGB8888,
		.stride = c->stride, .modifier = PHYRBUF_MODIFIER_LINEAR,
	};
	struct phyrbuf_dev_info desc, info;
	struct phyrbuf_bo_info binfo;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	EGLImageKHR eimg;
	int fd, dmabuf, ret, status = 1;
	struct gl gl;
	GLuint tex;

	printf("case %s: %s\n", c->name, c->what);
	if (find_device(c->bus, 0, &desc) < 0) {
		printf("no phyr_vgem device on the %s bus\n", c->bus);
		return getenv("PHYR_REQUIRE_DEVICE") ? 1 : SKIP;
	}
	/* the compositor's own fd (as from logind), on the render node */
	fd = open(desc.render_node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("opening %s: %s", desc.render_node, strerror(errno));
	ret = phyrbuf_open_fd(fd, 0, &dev);
	close(fd);
	if (ret)
		return fail("phyrbuf_open_fd(%s): %s", desc.render_node, strerror(-ret));
	phyrbuf_dev_info(dev, &info);
	ret = phyrbuf_bo_create_image(dev, &img, c->placement, 0, &bo);
	if (ret) {
		phyrbuf_close(dev);
		return fail("creating the image: %s", strerror(-ret));
	}
	phyrbuf_bo_query(bo, &binfo);
	printf("buffer: %ux%u %s stride %u modifier %#" PRIx64 ", %" PRIu64 " bytes in %s "
	       "memory of %s (%s %s), libphyrbuf on %s\n", binfo.width, binfo.height,
	       phyrbuf_format_name(binfo.format), binfo.stride, binfo.modifier, binfo.size,
	       phyrbuf_placement_name(binfo.placement), desc.primary_node, desc.bus,
	       desc.location, info.node);
	ret = phyrbuf_bo_export(bo, &dmabuf);
	if (ret) {
		fail("export: %s", strerror(-ret));
		goto out_bo;
	}
	if (gl_init(&gl, desc.primary_node))
		goto out_gl;
	eimg = import_image(&gl, dmabuf, &binfo);
	if (eimg == EGL_NO_IMAGE_KHR)
		goto out_gl;
	tex = image_texture(eimg);
	if (!render_check(bo, &binfo, tex) && !fill_sampled(bo, &binfo) &&
	    !sample_check(&binfo, tex, expect_sampled, NULL))
		status = 0;
	glDeleteTextures(1, &tex);
	destroy_image(gl.dpy, eimg);
out_gl:
	gl_fini(&gl);
	close(dmabuf);
out_bo:
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	if (!status)
		printf("case %s: PASS\n", c->name);
	return status;
}

/*
 * A buffer of one phyr_vgem device imported into EGL on another: kms_swrast
 * imports the dma-buf into the GBM device's file (an imported GEM object)
 * and maps it with DRM_IOCTL_MODE_MAP_DUMB, which DRM refuses for imported
 * objects.  Run in a child: Mesa 22.3 does not check that map.
 */
static int run_foreign(void)
{
	struct phyrbuf_image img = { 64, 64, DRM_FORMAT_XRGB8888, 0, 0 };
	struct phyrbuf_dev_info a, b;
	struct phyrbuf_bo_info binfo;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	int status, dmabuf, fd;
	pid_t pid;

	if (find_device("pci", 0, &a) < 0 ||
	    (find_device("pci", 1, &b) < 0 && find_device("faux", 0, &b) < 0))
		return printf("needs two phyr_vgem devices\n"), SKIP;
	printf("foreign: a buffer of %s (%s) imported into EGL on GBM of %s (%s)\n",
	       b.primary_node, b.location, a.primary_node, a.location);
	if (phyrbuf_open_path(b.render_node, 0, &dev) ||
	    phyrbuf_bo_create_image(dev, &img, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo) ||
	    phyrbuf_bo_query(bo, &binfo) || phyrbuf_bo_export(bo, &dmabuf))
		return fail("foreign: making the buffer");
	/* what kms_swrast does with it: PRIME import into GBM's file, MAP_DUMB */
	fd = open(a.primary_node, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		struct drm_prime_handle prime = { .fd = dmabuf };
		struct drm_mode_map_dumb map = { 0 };

		if (!ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime)) {
			map.handle = prime.handle;
			printf("foreign: MAP_DUMB of its handle on %s: %s\n", a.primary_node,
			       ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) ? strerror(errno) :
			       "works");
		}
		close(fd);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		EGLImageKHR eimg;
		struct gl gl;
		GLuint tex;

		if (gl_init(&gl, a.primary_node))
			_exit(3);
		eimg = import_image(&gl, dmabuf, &binfo);
		printf("foreign: eglCreateImageKHR %s\n", eimg == EGL_NO_IMAGE_KHR ?
		       "failed" : "succeeded");
		if (eimg == EGL_NO_IMAGE_KHR)
			_exit(4);
		tex = image_texture(eimg);
		printf("foreign: bound as a texture; rendering into it\n");
		if (render_check(bo, &binfo, tex))
			_exit(5);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return fail("fork/wait: %s", strerror(errno));
	close(dmabuf);
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	if (WIFSIGNALED(status)) {
		printf("foreign: Mesa crashed: signal %d (%s)\n", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return 1;
	}
	printf("foreign: the child exited %d (0: it worked)\n", WEXITSTATUS(status));
	return WEXITSTATUS(status) ? 1 : 0;
}

/* alloc's pattern, as XRGB8888 pixels: the low 24 bits of each word */
static uint32_t expect_alloc(uint32_t x, uint32_t y, void *data)
{
	const struct phyrbuf_bo_info *info = data;
	uint64_t word = (uint64_t)y * (info->stride / 4) + x;

	return pt_word(0x5a5aa5a5u, word) & 0xffffff;
}

static unsigned long env_num(const char *name)
{
	const char *v = getenv(name);

	return v ? strtoul(v, NULL, 0) : 0;
}

/* A buffer handed over by "phyrbuf alloc ... -- phyr-egl-test external". */
static int run_external(void)
{
	struct phyrbuf_bo_info info = { 0 };
	const char *fmt = getenv("PHYRBUF_FORMAT"), *fdv = getenv("PHYRBUF_DMABUF_FD");
	struct phyrbuf_dev_info desc;
	int dmabuf, device, status = 1;
	EGLImageKHR eimg;
	struct gl gl;
	GLuint tex;

	if (!fdv || !fmt)
		return fail("run me as: phyrbuf alloc --width W --height H --format "
			    "XRGB8888 -- phyr-egl-test external");
	dmabuf = atoi(fdv);
	device = (int)env_num("PHYRBUF_DEVICE");
	info.width = env_num("PHYRBUF_WIDTH");
	info.height = env_num("PHYRBUF_HEIGHT");
	info.stride = env_num("PHYRBUF_STRIDE");
	info.size = env_num("PHYRBUF_SIZE");
	info.modifier = env_num("PHYRBUF_MODIFIER");
	if (phyrbuf_format_parse(fmt, &info.format, NULL) || info.format != DRM_FORMAT_XRGB8888)
		return fail("external: XRGB8888 only, not %s", fmt);
	if (phyrbuf_device_describe(device, &desc))
		return fail("external: no device %d", device);
	printf("external: dma-buf fd %d, %ux%u XRGB8888 stride %u from phyrbuf alloc on %s\n",
	       dmabuf, info.width, info.height, info.stride, desc.primary_node);
	if (gl_init(&gl, desc.primary_node))
		goto out;
	eimg = import_image(&gl, dmabuf, &info);
	if (eimg == EGL_NO_IMAGE_KHR)
		goto out;
	tex = image_texture(eimg);
	status = sample_check(&info, tex, expect_alloc, &info);
	glDeleteTextures(1, &tex);
	destroy_image(gl.dpy, eimg);
out:
	gl_fini(&gl);
	if (!status)
		printf("external: PASS\n");
	return status;
}

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "foreign"))
		return run_foreign();
	if (argc == 2 && !strcmp(argv[1], "external"))
		return run_external();
	for (i = 0; argc == 2 && i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!strcmp(argv[1], cases[i].name)) {
			if (phyrbuf_device_count() <= 0 && !getenv("PHYR_REQUIRE_DEVICE")) {
				printf("%s: skipped: needs the phyr_vgem driver (run it in the "
				       "test guest: scripts/test.sh)\n", argv[1]);
				return SKIP;
			}
			return run_case(&cases[i]);
		}
	}
	fprintf(stderr, "usage: phyr-egl-test --list | CASE | foreign | external\n");
	return 2;
}
