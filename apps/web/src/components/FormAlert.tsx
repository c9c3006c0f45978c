/**
 * Errors that belong to no single field, above the form; announced as they appear.
 * Focusable from script only, so useErrorFocus can move focus here after a failed submit.
 */
export function FormAlert({ messages }: { messages: readonly string[] }) {
  return (
    <div role="alert" aria-atomic="true" tabIndex={-1}>
      {messages.length === 1 && <p className="notice notice-error">{messages[0]}</p>}
      {messages.length > 1 && (
        <div className="notice notice-error">
          <ul>
            {messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
