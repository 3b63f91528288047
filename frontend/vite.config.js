// Built assets are served by Django (whitenoise) from frontend/dist under /static/.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` proxies the API to a local `manage.py runserver`.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
});
