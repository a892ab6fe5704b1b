/** Types for the `workerd` npm package's main module (it ships none): the path of the platform's workerd binary. */
declare module 'workerd' {
  const binaryPath: string
  export default binaryPath
  export const version: string
  export const compatibilityDate: string
}
