/** A user as the API shows it: never the password hash. */
export interface User {
  id: string;
  email: string;
}

export interface Credentials {
  /** Already trimmed and lower-cased by the route schema. */
  email: string;
  password: string;
}
