export default function HomePage() {
  return (
    <main>
      <h1>stockflow</h1>
      <p>The control panel is on its way. Until then, use the <code>stockflow</code> command (see README).</p>
    </main>
  );
}
