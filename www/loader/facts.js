// The widget's attributes and their rules (ATTRIBUTES, RENDERED, SECTIONS, CHOICES and
// BRIEFS), written once, in src/config.rs: the build (scripts/bundle-loader.mjs) writes them
// over this placeholder, for the release and the dev loop alike, so no list here is kept by
// hand.
/* @@NEWSWIRE_FACTS@@ */
export { ATTRIBUTES, RENDERED, SECTIONS, CHOICES, BRIEFS };
