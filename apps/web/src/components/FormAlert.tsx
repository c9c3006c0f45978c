import type { ReactNode } from 'react';

/**
 * Errors that belong to no single field, above the form; announced as they appear.
 * Focusable from script only, so useErrorFocus can move focus here after a failed submit.
 * `action` (a link, say) is what the reader can do about it, shown with the messages.
 */
export function FormAlert({
  messages,
  action,
}: {
  messages: readonly string[];
  action?: ReactNode;
}) {
  const withAction = messages.length > 0 && action !== undefined && action !== null;
  return (
    <div role="alert" aria-atomic="true" tabIndex={-1}>
      {messages.length === 1 && !withAction && <p className="notice notice-error">{messages[0]}</p>}
      {(messages.length > 1 || withAction) && (
        <div className="notice notice-error">
          {messages.length === 1 ? (
            <p>{messages[0]}</p>
          ) : (
            <ul>
              {messages.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          )}
          {withAction && <p className="notice-action">{action}</p>}
        </div>
      )}
    </div>
  );
}
