// API errors in forms: a friendly, translated message chosen by the error's code, shown next to the field the API
// names (`error.param`), or above the form when it names none.
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api';
import { en } from './locales/en';

type Code = keyof typeof en.errors;
const KNOWN = new Set(Object.keys(en.errors));

export function useErrorText() {
  const { t } = useTranslation();
  return useCallback(
    (err: unknown): string => {
      if (err instanceof ApiError) {
        const friendly = KNOWN.has(err.code) ? t(`errors.${err.code as Code}`, { ...err.details, param: err.param ?? '' }) : '';
        // The API's own message says exactly what was wrong (which field, which limit); the friendly one says what to do.
        return friendly && friendly !== err.message ? `${friendly} (${err.message})` : err.message;
      }
      return err instanceof Error ? err.message : String(err);
    },
    [t],
  );
}

/**
 * Field errors for a form: `fields` are the form's field names as the API names them. A server error about one of them
 * (or about a part of one: "modelRatios.gpt-4o" belongs to "modelRatios") goes next to it; any other goes on top.
 */
export function useFormErrors<F extends string>(fields: readonly F[]) {
  const errorText = useErrorText();
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<F, string>>>({});
  const [formError, setFormError] = useState<string | undefined>();

  const fromServer = useCallback(
    (err: unknown) => {
      const param = err instanceof ApiError ? err.param : undefined;
      const field = param ? fields.find((f) => param === f || param.startsWith(`${f}.`) || param.startsWith(`${f}[`)) : undefined;
      if (field) {
        setFieldErrors({ [field]: errorText(err) } as Partial<Record<F, string>>);
        setFormError(undefined);
      } else {
        setFieldErrors({});
        setFormError(errorText(err));
      }
    },
    [fields, errorText],
  );

  const clear = useCallback(() => {
    setFieldErrors({});
    setFormError(undefined);
  }, []);

  return { fieldErrors, formError, setFieldErrors, setFormError, fromServer, clear };
}
