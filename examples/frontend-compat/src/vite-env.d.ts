/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The BFF (default: the page's origin). */
  readonly VITE_BFF_URL?: string
  /** The Hewston backend (default: the page's origin). */
  readonly VITE_API_URL?: string
}
