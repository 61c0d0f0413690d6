// Tailwind CSS v4 through PostCSS, as Next's docs set it up.
export default { plugins: { '@tailwindcss/postcss': {} } }
